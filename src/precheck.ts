/**
 * The checks that need no body: method, encoding, declared length. The
 * receiver runs them first, and adapters run them before reading a stream so
 * a 405, 415 or 413 comes back without a byte of the body being read.
 *
 * @module
 */
import { HookguardError } from './errors.js'
import { normalizeHeaders, type NormalizedHeaders } from './headers.js'
import type { HeadersInput } from './types/index.js'

export function checkBeforeReading(
  method: unknown,
  headers: HeadersInput | NormalizedHeaders,
  maxBytes: number,
): HookguardError | undefined {
  if (typeof method !== 'string' || method.toUpperCase() !== 'POST') {
    return new HookguardError('method.not_allowed', {
      reason: `method ${typeof method === 'string' && method ? method : '(none)'}`,
    })
  }
  const normalized = normalizeHeaders(headers)
  const encoding = normalized['content-encoding']
  if (
    encoding !== undefined &&
    (typeof encoding !== 'string' || !['', 'identity'].includes(encoding.trim().toLowerCase()))
  ) {
    return new HookguardError('body.encoding_unsupported', { reason: 'content-encoding other than identity' })
  }
  const declared = normalized['content-length']
  if (typeof declared === 'string' && /^[0-9]+$/.test(declared) && Number(declared) > maxBytes) {
    return new HookguardError('body.too_large', { reason: `content-length ${declared} exceeds ${maxBytes}` })
  }
  return undefined
}
