/**
 * Plaid's webhook verification keys: fetched by key id from the pinned
 * `/webhook_verification_key/get` URL of the configured environment, read
 * as P-256 JWKs, and cached (bounded; concurrent requests share one fetch).
 * A key Plaid does not know, or has expired, is a 401; Plaid out of reach
 * is a 503 and is not cached, so the next delivery tries again.
 *
 * @module
 */
import { concatBytes, decodeBase64 } from '../../crypto.js'
import { HookguardError } from '../../errors.js'
import { invalidSignature } from '../kit/fail.js'

/** A key as `/webhook_verification_key/get` answers it (`key`). */
export interface PlaidJwk {
  kty: string
  crv: string
  kid: string
  x: string
  y: string
  alg?: string
  use?: string
  created_at?: number
  expired_at?: number | null
}

/**
 * Fetches the key `kid` from `url` (one of {@link KEY_URLS}). Resolves to
 * undefined when Plaid does not know the key; throws when Plaid could not
 * be asked (network, 5xx, refused credentials).
 */
export type PlaidKeyFetcher = (kid: string, url: string) => Promise<PlaidJwk | undefined>

export const KEY_URLS = {
  production: 'https://production.plaid.com/webhook_verification_key/get',
  sandbox: 'https://sandbox.plaid.com/webhook_verification_key/get',
} as const

const MAX_RESPONSE_BYTES = 64 * 1024
/** A key id Plaid did not know is asked again after this long at most. */
const UNKNOWN_KEY_TTL_MS = 60_000

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  const declared = Number(response.headers.get('content-length') ?? '0')
  if (declared > MAX_RESPONSE_BYTES) throw new Error('Plaid answer too large')
  const bytes = new Uint8Array(await response.arrayBuffer())
  if (bytes.length > MAX_RESPONSE_BYTES) throw new Error('Plaid answer too large')
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The fetcher used when none is injected: Plaid's API with the account's client id and secret. */
export function plaidApiFetcher(clientId: string, secret: string): PlaidKeyFetcher {
  return async function fetchPlaidKey(kid, url) {
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: clientId, secret, key_id: kid }),
    })
    const answer = await readJson(response)
    if (response.ok) return answer?.key as PlaidJwk | undefined
    // Refused credentials are this receiver's problem, not a forgery: 503 and a log line, never a silent 401.
    if (response.status === 401 || response.status === 403 || answer?.error_code === 'INVALID_API_KEYS')
      throw new Error(`Plaid refused the API credentials (${String(answer?.error_code ?? response.status)})`)
    if (response.status >= 400 && response.status < 500) return undefined
    throw new Error(`Plaid answered ${response.status}`)
  }
}

// DER SubjectPublicKeyInfo of an uncompressed P-256 point, up to the point itself.
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
  0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
])

/** The key as DER SPKI, or why it cannot verify this token. */
export function jwkToSpki(jwk: unknown, kid: string): Uint8Array | string {
  if (typeof jwk !== 'object' || jwk === null) return 'Plaid answered no key'
  const key = jwk as Partial<PlaidJwk>
  if (key.kid !== kid) return 'Plaid answered a key with another kid'
  if (key.kty !== 'EC' || key.crv !== 'P-256') return 'the key is not an EC P-256 key'
  if (key.alg !== undefined && key.alg !== 'ES256') return 'the key is not for ES256'
  if (key.use !== undefined && key.use !== 'sig') return 'the key is not a signing key'
  // Plaid's own example refuses any key with an expiry set.
  if (key.expired_at !== undefined && key.expired_at !== null) return 'the key has expired'
  const x = typeof key.x === 'string' ? decodeBase64(key.x, 'base64url') : undefined
  const y = typeof key.y === 'string' ? decodeBase64(key.y, 'base64url') : undefined
  if (!x || !y || x.length !== 32 || y.length !== 32) return 'the key coordinates are not 32-byte base64url'
  return concatBytes([P256_SPKI_PREFIX, x, y])
}

export interface KeyCacheOptions {
  fetchKey: PlaidKeyFetcher
  url: string
  /** Most key ids remembered. */
  size: number
  /** How long a key is trusted before it is fetched again (to learn of an expiry), ms. */
  ttlMs: number
}

type Loaded = { spki: Uint8Array } | { refused: string }

interface Entry {
  at: number
  pending: Promise<Loaded>
}

async function load(options: KeyCacheOptions, kid: string): Promise<Loaded> {
  let jwk: PlaidJwk | undefined
  try {
    jwk = await options.fetchKey(kid, options.url)
  } catch (error) {
    throw new HookguardError('certificate.unavailable', {
      reason: 'could not fetch the Plaid verification key',
      cause: error,
    })
  }
  if (jwk === undefined || jwk === null) return { refused: 'Plaid does not know the key id' }
  const spki = jwkToSpki(jwk, kid)
  return typeof spki === 'string' ? { refused: spki } : { spki }
}

/** The SPKI of key `kid` at `now` (ms): from the cache, or fetched. Throws 401 for an unknown or unusable key. */
export function keyCache(options: KeyCacheOptions): (kid: string, now: number) => Promise<Uint8Array> {
  // Map order gives least-recently-used eviction.
  const cache = new Map<string, Entry>()
  function entryFor(kid: string, now: number): Entry {
    const cached = cache.get(kid)
    cache.delete(kid)
    if (cached && now >= cached.at && now - cached.at < options.ttlMs) {
      cache.set(kid, cached)
      return cached
    }
    const entry: Entry = { at: now, pending: load(options, kid) }
    cache.set(kid, entry)
    // A fetch failure is not remembered; an unknown key only briefly.
    entry.pending.then(
      (loaded) => {
        if ('refused' in loaded && cache.get(kid) === entry)
          entry.at = now - Math.max(0, options.ttlMs - UNKNOWN_KEY_TTL_MS)
      },
      () => {
        if (cache.get(kid) === entry) cache.delete(kid)
      },
    )
    while (cache.size > options.size) cache.delete(cache.keys().next().value!)
    return entry
  }
  return async function keyFor(kid, now) {
    const loaded = await entryFor(kid, now).pending
    if ('refused' in loaded) throw invalidSignature(loaded.refused)
    return loaded.spki
  }
}
