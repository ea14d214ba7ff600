/**
 * The shared half of every adapter: checks that need no body (method,
 * encoding, declared length), raw-body reading with a byte limit and a
 * deadline for Node streams and Web `ReadableStream`s, and the call into
 * `receiver.handle()`. An adapter only says where the bytes are and writes
 * the result back the way its framework expects.
 *
 * Nothing here imports a web framework.
 *
 * @module
 */
import { configError, ERROR_CODES, HookguardError, isHookguardError, type HookguardErrorCode } from './errors.js'
import { normalizeHeaders } from './headers.js'
import { checkBeforeReading } from './precheck.js'
import { createReceiver, isReceiver, type HandleOptions, type Receiver, type ReceiverOptions } from './receiver.js'
import type { HandleResult, HeadersInput } from './types/index.js'

/** Default deadline for the whole request body, ms. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000

/** Options every adapter takes. */
export interface BaseAdapterOptions {
  /** How long the whole body may take to arrive before the request gets 408, ms. Default 10 000. */
  bodyTimeoutMs?: number
}

/** Limits applied while a body streams in. */
export interface BodyLimits {
  /** Largest body accepted; one byte more stops the read with `body.too_large` (413). */
  maxBytes: number
  /** Deadline for the whole body; past it the read stops with `body.timeout` (408). */
  timeoutMs: number
}

/** The parts of a Node `Readable` (such as `http.IncomingMessage`) the reader uses. */
export interface NodeReadableLike {
  on(event: string, listener: (...args: any[]) => void): unknown
  removeListener(event: string, listener: (...args: any[]) => void): unknown
  pause(): unknown
  resume(): unknown
  readonly readableEnded?: boolean
  readonly readableDidRead?: boolean
  readonly destroyed?: boolean
  readonly complete?: boolean
}

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
  headers: HeadersInput
  body: RawBodySource
}

export interface ReceiveOptions {
  /** Deadline for the body, ms. */
  timeoutMs: number
  /** Inline mode: see {@link HandleOptions.deliver}. */
  deliver?: HandleOptions['deliver']
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

/** `receiver` itself when it is one, otherwise `createReceiver(receiverOrOptions)`. */
export function toReceiver(where: string, receiverOrOptions: Receiver | ReceiverOptions<any>): Receiver {
  if (isReceiver(receiverOrOptions)) return receiverOrOptions
  if (!receiverOrOptions || typeof receiverOrOptions !== 'object') {
    throw configError(
      `${where}: pass a receiver from createReceiver() or receiver options such as { provider: stripe({ secret }) }`,
    )
  }
  return createReceiver(receiverOrOptions as ReceiverOptions<unknown>)
}

/** Validates the options all adapters share; returns the body deadline. */
export function bodyTimeout(where: string, options: BaseAdapterOptions): number {
  const value = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw configError(
      `${where}: bodyTimeoutMs must be a positive integer of milliseconds (got ${String(options.bodyTimeoutMs)})`,
    )
  }
  return value
}

/** Validates an enumerated adapter option. */
export function oneOf<T extends string>(
  where: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value as T))
    throw configError(
      `${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${String(value)})`,
    )
  return value as T
}

/** Validates a boolean adapter option. */
export function flag(where: string, name: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw configError(`${where}: ${name} must be a boolean (got ${String(value)})`)
  return value
}

export { checkBeforeReading } from './precheck.js'

/** Whether a request announces a body (so refusing it early leaves bytes on the wire). */
function announcesBody(headers: HeadersInput): boolean {
  const normalized = normalizeHeaders(headers)
  if (normalized['transfer-encoding'] !== undefined) return true
  const declared = normalized['content-length']
  return declared !== undefined && declared !== '0'
}

function tooLarge(maxBytes: number): HookguardError {
  return new HookguardError('body.too_large', { reason: `body exceeds ${maxBytes} bytes` })
}

function timedOut(timeoutMs: number): HookguardError {
  return new HookguardError('body.timeout', { reason: `body not received within ${timeoutMs} ms` })
}

function aborted(cause?: unknown): HookguardError {
  return new HookguardError('body.aborted', { reason: 'the client closed the connection before the body ended', cause })
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

const noop = (): void => {}

/** Whether someone already read (or is done with) a Node request stream. */
export function isNodeStreamConsumed(stream: NodeReadableLike): boolean {
  // body-parser marks the requests it parsed with `_body`.
  return (
    stream.readableEnded === true ||
    stream.readableDidRead === true ||
    stream.destroyed === true ||
    (stream as { _body?: unknown })._body === true
  )
}

/**
 * Read a Node stream to the end, stopping as soon as it crosses
 * `maxBytes` (413), misses the deadline (408) or is aborted by the client.
 * On failure the stream is paused and left for the caller to close.
 */
export function readNodeStream(stream: NodeReadableLike, limits: BodyLimits): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let size = 0
    let settled = false
    const timer = setTimeout(() => finish(timedOut(limits.timeoutMs)), limits.timeoutMs)

    function finish(error: HookguardError | undefined): void {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stream.removeListener('data', onData)
      stream.removeListener('end', onEnd)
      stream.removeListener('error', onError)
      stream.removeListener('aborted', onAborted)
      stream.removeListener('close', onClose)
      if (error) {
        stream.pause()
        // A client that disconnects later must not surface as an unhandled 'error'.
        stream.on('error', noop)
        reject(error)
      } else {
        resolve(concat(chunks, size))
      }
    }
    function onData(chunk: Uint8Array | string): void {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      size += bytes.length
      if (size > limits.maxBytes) return finish(tooLarge(limits.maxBytes))
      chunks.push(bytes)
    }
    function onEnd(): void {
      finish(undefined)
    }
    function onError(error: unknown): void {
      finish(aborted(error))
    }
    function onAborted(): void {
      finish(aborted())
    }
    function onClose(): void {
      // 'close' before 'end' means the connection went away mid-body.
      if (stream.readableEnded !== true) finish(aborted())
    }

    stream.on('data', onData)
    stream.on('end', onEnd)
    stream.on('error', onError)
    stream.on('aborted', onAborted)
    stream.on('close', onClose)
    stream.resume()
  })
}

/** Like {@link readNodeStream}, for a Web `ReadableStream` (Fetch `Request.body`). */
export async function readWebStream(
  stream: ReadableStream<Uint8Array> | null,
  limits: BodyLimits,
): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0)
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut(limits.timeoutMs)), limits.timeoutMs)
  })
  // The deadline may fire after the read is over; nobody awaits it then.
  deadline.catch(noop)
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>
      try {
        step = await Promise.race([reader.read(), deadline])
      } catch (error) {
        throw isHookguardError(error) ? error : aborted(error)
      }
      if (step.done) return concat(chunks, size)
      const bytes = typeof step.value === 'string' ? new TextEncoder().encode(step.value) : step.value
      size += bytes.length
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes)
      chunks.push(bytes)
    }
  } catch (error) {
    // Stop pulling from the client; cancel failures mean it is already gone.
    reader.cancel().catch(noop)
    throw error
  } finally {
    clearTimeout(timer)
    try {
      reader.releaseLock()
    } catch {}
  }
}

/** Bytes from a value a body parser left behind: a Buffer/Uint8Array, or a string taken as UTF-8. */
export function capturedBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return new TextEncoder().encode(value)
  return undefined
}

function isBodyFailure(error: unknown): error is HookguardError {
  return (
    isHookguardError(error) &&
    (error.code === 'body.too_large' ||
      error.code === 'body.timeout' ||
      error.code === 'body.aborted' ||
      error.code === 'body.consumed')
  )
}

/**
 * Everything between "a request arrived" and "write this response": the
 * body-free checks, the raw-body read under `receiver.maxBodyBytes` and the
 * deadline, then `receiver.handle()`. Never rejects for anything a client
 * sends; in inline mode it rethrows what the next handler threw.
 */
export async function receive(receiver: Receiver, input: ReceiveInput, options: ReceiveOptions): Promise<Received> {
  const context = { method: input.method, url: input.url }
  const streamed = input.body.kind === 'node' || input.body.kind === 'web' || input.body.kind === 'read'
  const early = checkBeforeReading(input.method, input.headers, receiver.maxBodyBytes)
  if (early)
    return {
      result: receiver.reject(early, context),
      delivered: false,
      unread: streamed && announcesBody(input.headers),
    }

  const limits: BodyLimits = { maxBytes: receiver.maxBodyBytes, timeoutMs: options.timeoutMs }
  let body: Uint8Array
  try {
    const source = input.body
    if (source.kind === 'consumed') throw new HookguardError('body.consumed', { reason: source.fix })
    body =
      source.kind === 'bytes'
        ? source.bytes
        : source.kind === 'node'
          ? await readNodeStream(source.stream, limits)
          : source.kind === 'web'
            ? await readWebStream(source.stream, limits)
            : await source.read(limits)
  } catch (error) {
    const failure = isBodyFailure(error) ? error : aborted(error)
    return { result: receiver.reject(failure, context), delivered: false, unread: failure.code !== 'body.consumed' }
  }

  let delivered = false
  const deliver = options.deliver
  const result = await receiver.handle(
    { method: input.method, url: input.url, headers: input.headers, body },
    deliver
      ? {
          deliver(event) {
            delivered = true
            return deliver(event)
          },
        }
      : undefined,
  )
  return { result, delivered, unread: false }
}

/**
 * The result as a HookguardError, for adapters whose users want failures on
 * the framework's error path (`next(err)`, a thrown Koa error, Hono's
 * HTTPException). Carries `status`, `statusCode`, `expose` and the response
 * headers that matter (`Retry-After`, `Allow`, and `Connection: close`
 * when request bytes were left unread).
 */
export function resultToError(result: HandleResult, unread = false): HookguardError {
  const outcome = result.outcome
  let code: HookguardErrorCode = 'handler.failed'
  if (outcome.kind === 'in_flight') code = 'event.in_flight'
  else if ((outcome.kind === 'rejected' || outcome.kind === 'unavailable') && outcome.code in ERROR_CODES)
    code = outcome.code as HookguardErrorCode
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(result.headers)) {
    if (name !== 'content-type' && name !== 'content-length') headers[name] = value
  }
  // Error handlers (Koa's onerror) reset headers and then apply these: keep the close.
  if (unread) headers.connection = 'close'
  return new HookguardError(code, {
    reason: outcome.kind === 'rejected' || outcome.kind === 'unavailable' ? outcome.reason : undefined,
    headers,
  })
}

/** The parts of `http.ServerResponse` used to write a result. */
export interface NodeResponseLike {
  readonly headersSent: boolean
  readonly writableEnded: boolean
  writeHead(status: number, headers: Record<string, string>): unknown
  end(body?: string): unknown
}

/** Write a result to a Node response, unless the response is already under way. */
export function writeNodeResponse(res: NodeResponseLike, result: HandleResult, unread: boolean): void {
  if (res.headersSent || res.writableEnded) return
  const headers = unread ? { ...result.headers, connection: 'close' } : result.headers
  res.writeHead(result.status, headers)
  res.end(result.body === '' ? undefined : result.body)
}
