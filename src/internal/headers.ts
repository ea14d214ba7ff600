/**
 * Internal: header normalisation (lower-case names, repeated headers kept as
 * arrays so providers can refuse ambiguity) and redaction of anything that
 * carries a secret or a signature.
 *
 * @module
 */
import type { HeadersInput } from '../types/index.js'

export type NormalizedHeaders = Record<string, string | string[]>

/** Lower-case spellings of header names seen before: senders repeat the same few names, so no new string per request. */
const lowerNames = new Map<string, string>()

function lower(rawName: string): string {
  let name = lowerNames.get(rawName)
  if (name === undefined) {
    name = rawName.toLowerCase()
    // Attacker-chosen names must not grow the cache without bound.
    if (lowerNames.size < 1024) lowerNames.set(rawName, name)
  }
  return name
}

function add(out: NormalizedHeaders, rawName: string, value: string): void {
  put(out, lower(rawName), value)
}

function put(out: NormalizedHeaders, name: string, value: string): void {
  const existing = out[name]
  if (existing === undefined) out[name] = value
  else if (Array.isArray(existing)) existing.push(value)
  else out[name] = [existing, value]
}

/**
 * The prototype of every normalised header map: an empty, frozen object with
 * no prototype itself, so a header named `constructor` or `__proto__` is just
 * a header, as with Object.create(null). V8 keeps Object.create(null) objects
 * in dictionary mode; one with this prototype stays in fast mode, which halves
 * building, reading and redacting the headers of a request.
 */
const NO_INHERITED: object = Object.freeze(Object.create(null))

/** An empty header map that inherits nothing. */
export function emptyHeaders(): NormalizedHeaders {
  return Object.create(NO_INHERITED) as NormalizedHeaders
}

function isFetchHeaders(input: object): input is Headers {
  return typeof (input as Headers).forEach === 'function' && typeof (input as Headers).get === 'function'
}

/** Lower-cases names; a header given more than once (or under two spellings) becomes an array. */
export function normalizeHeaders(input: HeadersInput | undefined): NormalizedHeaders {
  const out = emptyHeaders()
  if (!input || typeof input !== 'object') return out
  if (isFetchHeaders(input)) {
    input.forEach((value, name) => add(out, name, value))
    return out
  }
  const record = input as Record<string, unknown>
  for (const name in record) {
    const value = record[name]
    if (value === undefined || value === null) continue
    if (typeof value === 'string') add(out, name, value)
    else if (Array.isArray(value)) for (const item of value) add(out, name, String(item))
    else add(out, name, String(value))
  }
  return out
}

/**
 * The raw and lower-case header names of the request before, by position. A
 * sender repeats its names in the same order, and comparing a new name with
 * the one at its position costs a fraction of the lookup in `lowerNames`,
 * which first hashes the new string (profiled: ~8 hashes of ~400
 * instructions per request). A name that differs takes the lookup.
 */
const RECENT_POSITIONS = 64
const recentRaw: string[] = []
const recentLower: (string | undefined)[] = []

/**
 * Node's `rawHeaders` (name, value, name, value …) as normalised headers:
 * unlike `req.headers`, a repeated header stays visible as an array instead
 * of being joined with ', ' or silently dropped.
 */
export function headersFromRaw(raw: readonly string[]): NormalizedHeaders {
  const out = emptyHeaders()
  for (let i = 0, at = 0; i + 1 < raw.length; i += 2, at++) {
    const rawName = raw[i]!
    let name = recentLower[at]
    if (name === undefined || rawName !== recentRaw[at]) {
      name = lower(rawName)
      if (at < RECENT_POSITIONS) {
        recentRaw[at] = rawName
        recentLower[at] = name
      }
    }
    put(out, name, raw[i + 1]!)
  }
  return out
}

/** Names that carry credentials or signatures in any scheme. */
const ALWAYS_SENSITIVE = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie'])
const SENSITIVE_RE = /signature|token|secret|hmac|api-?key|password|credential|auth|-sig$/i
/** Of those, the ones that carry a secret itself (never stored, not even for replay), not a signature. */
const SECRET_RE = /token|secret|password|passwd|api-?key|credential|cookie|^authorization$|^proxy-authorization$/i

export const REDACTED = '[redacted]'

/** Decides per header name, once: names repeat across requests, so decisions are cached (bounded). */
export class HeaderRedactor {
  private readonly decisions = new Map<string, boolean>()
  /**
   * The names of the request before and their decisions, by position: a
   * sender repeats its header order, and comparing a name with the one at
   * its position spares a lookup in `decisions` for each of a request's
   * headers (the lookups showed among the costliest builtins of the
   * receive path in a sampled profile).
   */
  private readonly recentNames: (string | undefined)[] = []
  private readonly recentDecisions: boolean[] = []

  constructor(private readonly sensitive: ReadonlySet<string>) {}

  private isSensitiveAt(at: number, name: string): boolean {
    if (this.recentNames[at] === name) return this.recentDecisions[at]!
    const decision = this.isSensitive(name)
    if (at < RECENT_POSITIONS) {
      this.recentNames[at] = name
      this.recentDecisions[at] = decision
    }
    return decision
  }

  isSensitive(name: string): boolean {
    let decision = this.decisions.get(name)
    if (decision === undefined) {
      decision = this.sensitive.has(name) || ALWAYS_SENSITIVE.has(name) || SENSITIVE_RE.test(name)
      // Attacker-chosen names must not grow the cache without bound.
      if (this.decisions.size < 512) this.decisions.set(name, decision)
    }
    return decision
  }

  /** Single strings, with secret-bearing headers replaced by '[redacted]'. */
  redact(headers: NormalizedHeaders): Record<string, string> {
    const out: Record<string, string> = {}
    let at = 0
    for (const name in headers) {
      const value = headers[name]!
      out[name] = this.isSensitiveAt(at++, name) ? REDACTED : typeof value === 'string' ? value : value.join(', ')
    }
    return out
  }

  /**
   * The original values of the redacted headers that hold a signature (not a
   * secret): what a replay needs to verify the archived bytes again.
   */
  sealed(headers: NormalizedHeaders): Record<string, string> | undefined {
    let out: Record<string, string> | undefined
    let at = 0
    for (const name in headers) {
      if (!this.isSensitiveAt(at++, name) || SECRET_RE.test(name)) continue
      const value = headers[name]!
      ;(out ??= {})[name] = typeof value === 'string' ? value : value.join(', ')
    }
    return out
  }
}
