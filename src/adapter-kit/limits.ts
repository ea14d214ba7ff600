/**
 * Internal: the limits a body is read under, and the errors that end a read.
 *
 * @module
 */
import { HookguardError } from '../errors.js'

/** Limits applied while a body streams in. */
export interface BodyLimits {
  /** Largest body accepted; one byte more stops the read with `body.too_large` (413). */
  maxBytes: number
  /** Deadline for the whole body; past it the read stops with `body.timeout` (408). */
  timeoutMs: number
}

export function tooLarge(maxBytes: number): HookguardError {
  return new HookguardError('body.too_large', { reason: `body exceeds ${maxBytes} bytes` })
}

export function timedOut(timeoutMs: number): HookguardError {
  return new HookguardError('body.timeout', { reason: `body not received within ${timeoutMs} ms` })
}

export function aborted(cause?: unknown): HookguardError {
  return new HookguardError('body.aborted', { reason: 'the client closed the connection before the body ended', cause })
}

export function concat(chunks: Uint8Array[], size: number): Uint8Array {
  // One chunk (the common case for webhook-sized bodies) needs no copy.
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

export const noop = (): void => {}
