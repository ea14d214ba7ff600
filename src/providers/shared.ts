/**
 * Building blocks every provider uses: secrets, headers, timestamps,
 * signature matching and payload parsing. Strict by default.
 *
 * @module
 */
import { configError, HookguardError } from '../errors.js'
import {
  constantTimeEqual,
  decodeHex,
  defaultCrypto,
  encodeHex,
  type CryptoBackend,
  type HmacAlgorithm,
  type Piece,
} from '../crypto.js'
import type { ProviderRequest, SignedRequest, SignOptions } from '../types/index.js'

/** Options every provider factory takes. */
export interface ProviderOptions {
  /** The signing secret, or several during a rotation: any one that matches passes. */
  secret: string | readonly string[]
  /**
   * Allowed clock skew in seconds, checked in both directions (stale and
   * future). Must be a finite number > 0. Default 300.
   */
  tolerance?: number
  /**
   * Turn the timestamp check off. Unsafe: without it a captured delivery can
   * be replayed for as long as the dedupe store remembers nothing of it.
   * Default false.
   */
  skipTimestampCheck?: boolean
  /** Crypto implementation; default node:crypto when present, else Web Crypto. */
  crypto?: CryptoBackend
}

export const DEFAULT_TOLERANCE_SECONDS = 300

/** Validates a tolerance option; returns the tolerance in seconds. */
export function resolveTolerance(
  provider: string,
  options: { tolerance?: number; skipTimestampCheck?: boolean },
): number | undefined {
  if (options.skipTimestampCheck !== undefined && typeof options.skipTimestampCheck !== 'boolean') {
    throw configError(`${provider}: skipTimestampCheck must be a boolean`)
  }
  if (options.skipTimestampCheck === true) {
    if (options.tolerance !== undefined)
      throw configError(`${provider}: give either tolerance or skipTimestampCheck, not both`)
    return undefined
  }
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE_SECONDS
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance <= 0) {
    throw configError(
      `${provider}: tolerance must be a finite number of seconds greater than 0 (got ${String(tolerance)}); ` +
        'to turn the timestamp check off, pass skipTimestampCheck: true',
    )
  }
  return tolerance
}

const WEAK_SECRETS = new Set(['undefined', 'null', 'secret', 'changeme', 'password', 'test', 'xxx', 'todo'])

export interface SecretRules {
  /** Minimum length in bytes after decoding. */
  minBytes?: number
  /** Turns one secret string into key bytes; throws a message on bad format. */
  decode?: (secret: string) => Uint8Array
}

const utf8 = new TextEncoder()

/**
 * Normalises `secret` (one or a list) into key bytes. Refuses empty,
 * whitespace-padded, placeholder and too-short secrets. Error messages never
 * include the secret itself.
 */
export function resolveSecrets(provider: string, secret: unknown, rules: SecretRules = {}): Uint8Array[] {
  const list = typeof secret === 'string' ? [secret] : Array.isArray(secret) ? (secret as unknown[]) : undefined
  if (!list)
    throw configError(
      `${provider}: secret must be a string or an array of strings (got ${secret === undefined ? 'undefined' : typeof secret})`,
    )
  if (list.length === 0) throw configError(`${provider}: secret list is empty`)
  if (list.length > 16) throw configError(`${provider}: at most 16 secrets may be active at once`)
  const minBytes = rules.minBytes ?? 16
  return list.map((item, index) => {
    const where = list.length > 1 ? `secret[${index}]` : 'secret'
    if (typeof item !== 'string') throw configError(`${provider}: ${where} must be a string`)
    if (item.trim() === '') throw configError(`${provider}: ${where} is empty`)
    if (item !== item.trim())
      throw configError(`${provider}: ${where} has leading or trailing whitespace (check how it is loaded)`)
    if (WEAK_SECRETS.has(item.toLowerCase()) || /^(.)\1*$/.test(item)) {
      throw configError(`${provider}: ${where} is a placeholder, not a real secret`)
    }
    let bytes: Uint8Array
    try {
      bytes = rules.decode ? rules.decode(item) : utf8.encode(item)
    } catch (error) {
      throw configError(`${provider}: ${where} ${(error as Error).message}`)
    }
    if (bytes.length < minBytes)
      throw configError(`${provider}: ${where} is too short (${bytes.length} bytes; at least ${minBytes} required)`)
    return bytes
  })
}

/**
 * One header as a single string. A header that arrived several times as an
 * array is refused rather than guessed at.
 */
export function readHeader(request: ProviderRequest, name: string): string | undefined {
  const value = request.headers[name]
  if (value === undefined) return undefined
  if (typeof value === 'string') return value
  if (value.length === 1) return value[0]
  if (value.length === 0) return undefined
  throw new HookguardError('header.duplicated', { reason: `header ${name} appears ${value.length} times` })
}

/** A required signature header: absent or blank means 401 signature.missing. */
export function requireSignatureHeader(request: ProviderRequest, name: string): string {
  const value = readHeader(request, name)
  if (value === undefined || value.trim() === '')
    throw new HookguardError('signature.missing', { reason: `header ${name} is missing` })
  return value
}

/**
 * A `<prefix><hex>` signature header (`sha256=…`, `v0=…`), strictly decoded.
 * A missing header is a 401; a wrong prefix, non-hex or (when `bytes` is
 * given) the wrong length is a 400.
 */
export function readPrefixedHexSignature(
  request: ProviderRequest,
  header: string,
  prefix: string,
  bytes?: number,
): Uint8Array {
  const value = requireSignatureHeader(request, header)
  if (!value.startsWith(prefix))
    throw new HookguardError('signature.malformed', { reason: `${header} does not start with ${prefix}` })
  const signature = decodeHex(value.slice(prefix.length))
  if (!signature || (bytes !== undefined && signature.length !== bytes)) {
    throw new HookguardError('signature.malformed', {
      reason: `${header} is not ${bytes === undefined ? 'hex' : `${bytes * 2} hex digits`}`,
    })
  }
  return signature
}

/** A timestamp header: present, digits only, within the tolerance both ways. Returns the text as signed and its seconds. */
export function readSignedTimestamp(
  request: ProviderRequest,
  header: string,
  tolerance: number | undefined,
): { text: string; seconds: number } {
  const text = readHeader(request, header)
  const seconds = parseTimestamp(text, header)
  checkTimestamp(seconds, request.now, tolerance)
  return { text: text!, seconds }
}

const TIMESTAMP_RE = /^[0-9]{1,12}$/

/** Seconds since the epoch: ASCII digits only (no sign, decimal point, spaces or exponent). */
export function parseTimestamp(text: string | undefined, header: string): number {
  if (text === undefined || text === '')
    throw new HookguardError('timestamp.missing', { reason: `header ${header} is missing` })
  if (!TIMESTAMP_RE.test(text))
    throw new HookguardError('timestamp.malformed', { reason: `header ${header} is not a whole number of seconds` })
  return Number(text)
}

/** Both directions: neither older nor further in the future than the tolerance. */
export function checkTimestamp(timestampSeconds: number, nowMs: number, toleranceSeconds: number | undefined): void {
  if (toleranceSeconds === undefined) return
  const skew = nowMs / 1000 - timestampSeconds
  if (skew > toleranceSeconds) {
    throw new HookguardError('timestamp.out_of_range', {
      reason: `timestamp is ${Math.round(skew)} s old (tolerance ${toleranceSeconds} s)`,
    })
  }
  if (-skew > toleranceSeconds) {
    throw new HookguardError('timestamp.out_of_range', {
      reason: `timestamp is ${Math.round(-skew)} s in the future (tolerance ${toleranceSeconds} s)`,
    })
  }
}

/**
 * HMAC the pieces with every secret and accept if any computed MAC equals any
 * received signature. Compares bytes in constant time after a length check.
 */
export function matchHmac(
  backend: CryptoBackend,
  algorithm: HmacAlgorithm,
  keys: readonly Uint8Array[],
  pieces: readonly Piece[],
  received: readonly Uint8Array[],
): boolean | Promise<boolean> {
  if (received.length === 0) return false
  for (let index = 0; index < keys.length; index++) {
    const computed = backend.hmac(algorithm, keys[index]!, pieces)
    // node:crypto answers synchronously: no promise and no await on the hot path.
    if (!(computed instanceof Uint8Array))
      return matchHmacAsync(backend, algorithm, keys, pieces, received, index, Promise.resolve(computed))
    if (matchesAny(computed, received)) return true
  }
  return false
}

async function matchHmacAsync(
  backend: CryptoBackend,
  algorithm: HmacAlgorithm,
  keys: readonly Uint8Array[],
  pieces: readonly Piece[],
  received: readonly Uint8Array[],
  index: number,
  pending: Promise<Uint8Array>,
): Promise<boolean> {
  if (matchesAny(await pending, received)) return true
  for (let next = index + 1; next < keys.length; next++) {
    if (matchesAny(await backend.hmac(algorithm, keys[next]!, pieces), received)) return true
  }
  return false
}

/** Throws `signature.invalid` unless `matched` is (or resolves to) true; synchronous on the node:crypto path. */
export function requireMatch<T>(matched: boolean | Promise<boolean>, result: T): T | Promise<T> {
  if (matched === true) return result
  if (matched === false) throw invalidSignature()
  return matched.then((ok) => {
    if (!ok) throw invalidSignature()
    return result
  })
}

function matchesAny(computed: Uint8Array, received: readonly Uint8Array[]): boolean {
  for (const signature of received) {
    if (constantTimeEqual(computed, signature)) return true
  }
  return false
}

export function invalidSignature(reason = 'no signature matched'): HookguardError {
  return new HookguardError('signature.invalid', { reason })
}

/** At most this many signature entries in one header: more is malformed, not slow. */
export const MAX_SIGNATURE_ENTRIES = 32

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

/** Fallback event id for deliveries that carry none: `sha256:<hex of the raw body>`. An exact resend dedupes; an edited one does not. */
export async function bodyHashId(backend: CryptoBackend, body: Uint8Array): Promise<string> {
  return `sha256:${encodeHex(await backend.digest('sha256', body))}`
}

/**
 * Signs the `v0:{timestamp}:{body}` scheme Slack and Zoom share: hex
 * HMAC-SHA256 sent as `v0=<hex>` beside the timestamp header.
 */
export async function signV0(
  backend: CryptoBackend,
  key: Uint8Array,
  sign: SignOptions,
  headers: { timestamp: string; signature: string; contentType: string },
): Promise<SignedRequest> {
  const timestamp = signingTimestamp(sign)
  const mac = await backend.hmac('sha256', key, [`v0:${timestamp}:`, sign.body])
  return {
    headers: {
      'content-type': headers.contentType,
      ...sign.headers,
      [headers.timestamp]: String(timestamp),
      [headers.signature]: `v0=${encodeHex(mac)}`,
    },
    body: sign.body,
  }
}

/** A string field of an object payload, or undefined. */
export function stringField(payload: unknown, field: string): string | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined
  const value = (payload as Record<string, unknown>)[field]
  return typeof value === 'string' && value !== '' ? value : undefined
}

export function resolveBackend(crypto: CryptoBackend | undefined): CryptoBackend {
  return crypto ?? defaultCrypto()
}

/** Seconds from a signing helper's options. */
export function signingTimestamp(options: { timestamp?: number; now?: () => number }): number {
  return options.timestamp ?? Math.floor((options.now ?? Date.now)() / 1000)
}
