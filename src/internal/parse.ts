/**
 * Internal: strict decoding of verified bodies — UTF-8 that refuses invalid
 * bytes, JSON, and `application/x-www-form-urlencoded`.
 *
 * @module
 */
import { HookguardError } from '../errors.js'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/** Strict UTF-8 text of the body; invalid bytes are a 400. */
export function bodyText(body: Uint8Array): string {
  try {
    return strictUtf8.decode(body)
  } catch {
    throw new HookguardError('body.malformed', { reason: 'body is not valid UTF-8' })
  }
}

/** Strict JSON of the body: a 400 when it is not JSON. */
export function parseJson(body: Uint8Array): unknown {
  const text = bodyText(body)
  try {
    return JSON.parse(text)
  } catch {
    throw new HookguardError('body.malformed', { reason: 'body is not valid JSON' })
  }
}

/** `application/x-www-form-urlencoded` body as an object; repeated names become arrays. */
export function parseForm(body: Uint8Array): Record<string, string | string[]> {
  const params = new URLSearchParams(bodyText(body))
  const out: Record<string, string | string[]> = Object.create(null)
  for (const [name, value] of params) {
    const existing = out[name]
    if (existing === undefined) out[name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else out[name] = [existing, value]
  }
  return out
}
