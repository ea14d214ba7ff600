/**
 * Header normalisation: lower-case names, repeated headers kept as arrays so
 * providers can refuse ambiguity, and redaction of anything secret.
 *
 * @module
 */
import type { HeadersInput } from './types/index.js'

export type NormalizedHeaders = Record<string, string | string[]>

/** Lower-cases names; a header given under two spellings becomes an array. */
export function normalizeHeaders(input: HeadersInput | undefined): NormalizedHeaders {
  const out: NormalizedHeaders = Object.create(null)
  if (!input || typeof input !== 'object') return out
  const add = (rawName: string, value: string): void => {
    const name = rawName.toLowerCase()
    const existing = out[name]
    if (existing === undefined) out[name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else out[name] = [existing, value]
  }
  if (typeof (input as Headers).forEach === 'function' && typeof (input as Headers).get === 'function') {
    ;(input as Headers).forEach((value, name) => add(name, value))
    return out
  }
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) {
      for (const item of value) add(name, String(item))
    } else {
      add(name, String(value))
    }
  }
  return out
}

const ALWAYS_SENSITIVE = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie'])
const SENSITIVE_RE = /signature|token|secret|hmac|api-?key|password|credential|auth/i

/** Headers for the event: single strings, with secret-bearing ones replaced by '[redacted]'. */
export function redactHeaders(headers: NormalizedHeaders, sensitive: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    out[name] =
      sensitive.has(name) || ALWAYS_SENSITIVE.has(name) || SENSITIVE_RE.test(name)
        ? '[redacted]'
        : Array.isArray(value)
          ? value.join(', ')
          : value
  }
  return out
}
