/**
 * Step 1, read: the checks that need no body (method, encoding, declared
 * length) and the raw bytes. Adapters run `checkBeforeReading` before they
 * read a stream, so a 405, 415 or 413 comes back without a byte read.
 *
 * @module
 */
import { HookguardError } from '../errors.js'
import { normalizeHeaders, type NormalizedHeaders } from '../internal/headers.js'
import type { HeadersInput, WebhookRequest } from '../types/index.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'

/** Marks headers that are already normalised (adapters build them from Node's rawHeaders). */
export const NORMALIZED = Symbol.for('hookguard.normalizedHeaders')

export function asNormalized(headers: HeadersInput | NormalizedHeaders): NormalizedHeaders {
  return (headers as Record<symbol, unknown>)[NORMALIZED] === true
    ? (headers as NormalizedHeaders)
    : normalizeHeaders(headers as HeadersInput)
}

/** The method in upper case; POST, as nearly every request sends it, without a new string. */
export function upperMethod(method: unknown): string {
  if (method === 'POST') return method
  return typeof method === 'string' ? method.toUpperCase() : ''
}

/** 405 for anything but POST, 415 for a content-encoding, 413 from Content-Length. */
export function checkBeforeReading(
  method: unknown,
  headers: HeadersInput | NormalizedHeaders,
  maxBytes: number,
  handshakeMethods: readonly string[] = [],
): HookguardError | undefined {
  const upper = upperMethod(method)
  if (upper !== 'POST' && !handshakeMethods.includes(upper)) {
    return new HookguardError('method.not_allowed', {
      reason: `method ${typeof method === 'string' && method ? method : '(none)'}`,
    })
  }
  const normalized = asNormalized(headers)
  const encoding = normalized['content-encoding']
  if (encoding !== undefined && (typeof encoding !== 'string' || !isIdentity(encoding))) {
    return new HookguardError('body.encoding_unsupported', { reason: 'content-encoding other than identity' })
  }
  const declared = normalized['content-length']
  if (typeof declared === 'string' && /^[0-9]+$/.test(declared) && Number(declared) > maxBytes) {
    return new HookguardError('body.too_large', { reason: `content-length ${declared} exceeds ${maxBytes}` })
  }
  return undefined
}

function isIdentity(encoding: string): boolean {
  const value = encoding.trim().toLowerCase()
  return value === '' || value === 'identity'
}

const utf8 = new TextEncoder()

function toBytes(raw: unknown): Uint8Array {
  if (raw instanceof Uint8Array) return raw
  if (typeof raw === 'string') return utf8.encode(raw)
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw)
  if (raw === undefined || raw === null) return new Uint8Array(0)
  throw new HookguardError('body.consumed', {
    reason:
      'the body reached hookguard already parsed; pass the raw bytes (Uint8Array/Buffer) — ' +
      'mount hookguard before any JSON body parser',
  })
}

/** Fills in the delivery's headers and bytes; throws the early rejections. */
export function read(config: ReceiverConfig, delivery: Delivery, request: WebhookRequest): void {
  delivery.headers = asNormalized(request.headers)
  const early = checkBeforeReading(
    delivery.method,
    delivery.headers,
    config.maxBodyBytes,
    config.provider.handshakeMethods,
  )
  if (early) throw early
  const body = toBytes(request.body)
  delivery.body = body
  if (body.length > config.maxBodyBytes) {
    throw new HookguardError('body.too_large', {
      reason: `body of ${body.length} bytes exceeds ${config.maxBodyBytes}`,
    })
  }
}
