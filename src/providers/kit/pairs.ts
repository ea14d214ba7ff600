/**
 * `key=value` lists in one signature header (`t=…,v1=…,v1=…` as Mux and
 * Sanity send, `v1=…,v1=…` as PagerDuty sends): split once, bounded, with
 * lower-case alphanumeric keys and at most one `=` per entry. Values are
 * returned as text; each provider decodes the ones it knows strictly.
 *
 * @module
 */
import { malformedSignature, MAX_SIGNATURE_ENTRIES } from './fail.js'

const KEY_RE = /^[a-z0-9]{1,16}$/

/** One entry of a signature list. */
export interface SignaturePair {
  key: string
  value: string
}

/**
 * The entries of `header` (its name is `where` in reasons), separated by
 * commas and, where `spaces` allows, a space after each comma. More than
 * 32 entries, an entry without `=` or with a second one, or a key other
 * than lower-case letters and digits is a 400.
 */
export function signaturePairs(header: string, where: string, spaces = false): SignaturePair[] {
  const parts = header.split(',')
  if (parts.length > MAX_SIGNATURE_ENTRIES) throw malformedSignature(`too many entries in ${where}`)
  return parts.map((raw, index) => {
    const part = spaces && index > 0 && raw.startsWith(' ') ? raw.slice(1) : raw
    const eq = part.indexOf('=')
    const key = eq === -1 ? '' : part.slice(0, eq)
    if (!KEY_RE.test(key) || part.indexOf('=', eq + 1) !== -1)
      throw malformedSignature(`${where} is not a list of key=value pairs`)
    return { key, value: part.slice(eq + 1) }
  })
}

/** The one `t` of a list: absent or repeated is a 400 (two would let a forger pick which one is checked). */
export function onlyTimestamp(pairs: readonly SignaturePair[], where: string): string {
  let found: string | undefined
  for (const pair of pairs) {
    if (pair.key !== 't') continue
    if (found !== undefined) throw malformedSignature(`${where} has more than one t`)
    found = pair.value
  }
  if (found === undefined) throw malformedSignature(`${where} has no t`)
  return found
}
