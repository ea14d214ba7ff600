/**
 * Parsing verified bodies: strict UTF-8, JSON, and form bodies with a bound
 * on the number of parameters (a form is parsed before the signature check
 * only where the scheme signs the parameters, as Twilio does).
 *
 * @module
 */
import { encodeHex, type CryptoBackend } from '../../crypto.js'
import { HookguardError } from '../../errors.js'

// One strict decoder for the whole package (a native UTF-8 check on Node).
export { bodyText, parseJson } from '../../internal/parse.js'
import { bodyText } from '../../internal/parse.js'

/** More form parameters than any sender uses is malformed, not slow. */
const MAX_FORM_PARAMS = 1000

/** One `name` or `value` of a form body: `+` is a space, then percent escapes as URLSearchParams reads them. */
function decodeFormComponent(raw: string): string {
  const spaced = raw.indexOf('+') === -1 ? raw : raw.replace(/\+/g, ' ')
  if (spaced.indexOf('%') === -1) return spaced
  try {
    return decodeURIComponent(spaced)
  } catch {
    // Malformed escapes stay literal and bad UTF-8 becomes U+FFFD, as in URLSearchParams.
    return new URLSearchParams(`x=${raw}`).get('x')!
  }
}

/**
 * The `name=value` pairs of a form body, in order. Refuses more than
 * `max` parameters after one scan for `&`, before decoding anything.
 */
export function formPairs(text: string, max = MAX_FORM_PARAMS): Array<[string, string]> {
  let count = 1
  for (let at = text.indexOf('&'); at !== -1; at = text.indexOf('&', at + 1)) {
    if (++count > max)
      throw new HookguardError('body.malformed', { reason: `form body has more than ${max} parameters` })
  }
  const pairs: Array<[string, string]> = []
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('&', start)
    if (end === -1) end = text.length
    if (end > start) {
      const eq = text.indexOf('=', start)
      const split = eq === -1 || eq > end ? end : eq
      const value = split === end ? '' : text.slice(split + 1, end)
      pairs.push([decodeFormComponent(text.slice(start, split)), decodeFormComponent(value)])
    }
    start = end + 1
  }
  return pairs
}

/**
 * The pairs of a form body. The parameters are counted on the raw bytes
 * (memchr) before the body is even decoded to text, so an oversized form
 * costs a fraction of one pass.
 */
export function bodyFormPairs(body: Uint8Array, max = MAX_FORM_PARAMS): Array<[string, string]> {
  let count = 1
  for (let at = body.indexOf(0x26); at !== -1; at = body.indexOf(0x26, at + 1)) {
    if (++count > max)
      throw new HookguardError('body.malformed', { reason: `form body has more than ${max} parameters` })
  }
  return formPairs(bodyText(body), max)
}

/** `application/x-www-form-urlencoded` body as an object; repeated names become arrays. */
export function parseForm(body: Uint8Array): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null)
  for (const [name, value] of bodyFormPairs(body)) {
    const existing = out[name]
    if (existing === undefined) out[name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else out[name] = [existing, value]
  }
  return out
}

/** The object itself when `value` is a plain (non-array) object, else undefined. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/** A non-empty string field of an object payload, or undefined. */
export function stringField(payload: unknown, field: string): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined
  const value = (payload as Record<string, unknown>)[field]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Fallback event id for deliveries that carry none: `sha256:<hex of the raw body>`. An exact resend dedupes; an edited one does not. */
export async function bodyHashId(backend: CryptoBackend, body: Uint8Array): Promise<string> {
  return `sha256:${encodeHex(await backend.digest('sha256', body))}`
}
