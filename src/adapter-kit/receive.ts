/**
 * The shared half of every adapter: everything between "a request arrived"
 * and "write this response". The body-free checks, the raw-body read under
 * `receiver.maxBodyBytes` and the deadline, then `receiver.handle()`. An
 * adapter only says where the bytes are and writes the result back.
 *
 * @module
 */
import { HookguardError, isHookguardError } from '../errors.js'
import type { NormalizedHeaders } from '../internal/headers.js'
import { asNormalized, checkBeforeReading, upperMethod } from '../pipeline/read.js'
import { HANDLE_NOW, type HandleOptions, type Receiver } from '../receiver/index.js'
import type { HandleResult, HeadersInput, WebhookRequest } from '../types/index.js'
import { aborted, type BodyLimits } from './limits.js'
import { readNodeStream, type NodeReadableLike } from './read-node.js'
import { readWebStream } from './read-web.js'

/** Where an adapter finds the raw bytes of a request. */
export type RawBodySource =
  /** Bytes some earlier middleware kept (express.raw(), a verify hook's `rawBody`). */
  | { kind: 'bytes'; bytes: Uint8Array }
  /** A Node stream nobody has read yet. */
  | { kind: 'node'; stream: NodeReadableLike }
  /** A Web stream nobody has read yet (null when the request has no body). */
  | { kind: 'web'; stream: ReadableStream<Uint8Array> | null }
  /** A framework-specific reader that applies `limits` itself. */
  | { kind: 'read'; read(limits: BodyLimits): Promise<Uint8Array> }
  /** Someone parsed the body before hookguard: `fix` tells the user what to change. */
  | { kind: 'consumed'; fix: string }

export interface ReceiveInput {
  method: string
  /** The URL the sender targeted (full URL where the framework knows it). */
  url?: string
  /** Headers as the framework has them, or already normalised (see `nodeHeaders`). */
  headers: HeadersInput | NormalizedHeaders
  body: RawBodySource
}

export interface ReceiveOptions<T = unknown> {
  /** Deadline for the body, ms. */
  timeoutMs: number
  /** Inline mode: see {@link HandleOptions.deliver}. */
  deliver?: HandleOptions<T>['deliver']
}

export interface Received {
  result: HandleResult
  /** Inline mode: the next handler ran, so the response is its to write. */
  delivered: boolean
  /**
   * Request bytes may still be on the wire (the body was refused before or
   * while reading): Node adapters answer with `Connection: close` so the
   * server does not keep draining it.
   */
  unread: boolean
}

type Handle = (request: WebhookRequest, options?: HandleOptions<any>) => HandleResult | Promise<HandleResult>

/** The receiver's `handle`, minus its promise when the pipeline answered synchronously (see HANDLE_NOW). */
function handleNow<T>(receiver: Receiver<T>, request: WebhookRequest, options?: HandleOptions<T>) {
  const now = (receiver as { [HANDLE_NOW]?: Handle })[HANDLE_NOW]
  return now ? now(request, options) : receiver.handle(request, options)
}

const BODY_FAILURES = new Set(['body.too_large', 'body.timeout', 'body.aborted', 'body.consumed'])

/** Whether a request announces a body (so refusing it early leaves bytes on the wire). */
function announcesBody(headers: NormalizedHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true
  const declared = headers['content-length']
  return declared !== undefined && declared !== '0'
}

function readBody(source: RawBodySource, limits: BodyLimits): Uint8Array | Promise<Uint8Array> {
  switch (source.kind) {
    case 'bytes':
      return source.bytes
    case 'node':
      return readNodeStream(source.stream, limits)
    case 'web':
      return readWebStream(source.stream, limits)
    case 'read':
      return source.read(limits)
    case 'consumed':
      throw new HookguardError('body.consumed', { reason: source.fix })
  }
}

/** Never rejects for anything a client sends; in inline mode it rethrows what the next handler threw. */
export async function receive<T>(
  receiver: Receiver<T>,
  input: ReceiveInput,
  options: ReceiveOptions<T>,
): Promise<Received> {
  const context = { method: input.method, url: input.url, headers: input.headers }
  const headers = asNormalized(input.headers)
  const early = checkBeforeReading(input.method, headers, receiver.maxBodyBytes, receiver.provider.handshakeMethods)
  if (early) {
    const streamed = input.body.kind !== 'bytes' && input.body.kind !== 'consumed'
    return { result: receiver.reject(early, context), delivered: false, unread: streamed && announcesBody(headers) }
  }
  // A handshake method (Meta's GET, Trello's HEAD) is answered without reading a body.
  if (upperMethod(input.method) !== 'POST') {
    const result = await receiver.handle({ method: input.method, url: input.url, headers, body: undefined })
    return { result, delivered: false, unread: input.body.kind !== 'bytes' && announcesBody(headers) }
  }
  let body: Uint8Array
  try {
    body = await readBody(input.body, { maxBytes: receiver.maxBodyBytes, timeoutMs: options.timeoutMs })
  } catch (error) {
    const failure = isHookguardError(error) && BODY_FAILURES.has(error.code) ? error : aborted(error)
    return { result: receiver.reject(failure, context), delivered: false, unread: failure.code !== 'body.consumed' }
  }
  const deliver = options.deliver
  if (!deliver) {
    const handled = handleNow(receiver, { method: input.method, url: input.url, headers, body })
    return { result: handled instanceof Promise ? await handled : handled, delivered: false, unread: false }
  }
  let delivered = false
  const result = await receiver.handle(
    { method: input.method, url: input.url, headers, body },
    {
      deliver(event) {
        delivered = true
        return deliver(event)
      },
    },
  )
  return { result, delivered, unread: false }
}
