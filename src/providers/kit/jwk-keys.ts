/**
 * Public keys fetched by key id (Plaid's webhook verification keys): read
 * as EC P-256 JWKs and cached, bounded, with concurrent requests sharing one
 * fetch. A key the sender does not know, or has expired, is a 401 (and is
 * asked again after a minute at most); a sender out of reach is a 503 and
 * is not cached, so the next delivery tries again.
 *
 * @module
 */
import { concatBytes, decodeBase64 } from '../../crypto.js'
import { HookguardError } from '../../errors.js'
import { invalidSignature } from './fail.js'

/** An EC public key as a JWK, with the expiry field Plaid adds. */
export interface EcJwk {
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
 * Fetches the key `kid` from `url`. Resolves to undefined when the sender
 * does not know the key; throws when it could not be asked.
 */
export type JwkFetcher = (kid: string, url: string) => Promise<EcJwk | undefined>

/** A key id the sender did not know is asked again after this long at most. */
const UNKNOWN_KEY_TTL_MS = 60_000

// DER SubjectPublicKeyInfo of an uncompressed P-256 point, up to the point itself.
const P256_SPKI_PREFIX = Uint8Array.from([
  0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
  0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
])

/** The key as DER SPKI, or why it cannot verify an ES256 token signed under `kid`. */
export function p256JwkToSpki(jwk: unknown, kid: string): Uint8Array | string {
  if (typeof jwk !== 'object' || jwk === null) return 'the sender answered no key'
  const key = jwk as Partial<EcJwk>
  if (key.kid !== kid) return 'the sender answered a key with another kid'
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
  fetchKey: JwkFetcher
  /** The pinned URL handed to `fetchKey`. */
  url: string
  /** The sender's name in reasons. */
  sender: string
  /** Most key ids remembered. */
  size: number
  /** How long a key is used before it is fetched again (to learn of an expiry), ms. */
  ttlMs: number
}

type Loaded = { spki: Uint8Array } | { refused: string }

interface Entry {
  at: number
  pending: Promise<Loaded>
}

async function load(options: KeyCacheOptions, kid: string): Promise<Loaded> {
  let jwk: EcJwk | undefined
  try {
    jwk = await options.fetchKey(kid, options.url)
  } catch (error) {
    throw new HookguardError('certificate.unavailable', {
      reason: `could not fetch the ${options.sender} verification key`,
      cause: error,
    })
  }
  if (jwk === undefined || jwk === null) return { refused: `${options.sender} does not know the key id` }
  const spki = p256JwkToSpki(jwk, kid)
  return typeof spki === 'string' ? { refused: spki } : { spki }
}

/** The SPKI of key `kid` at `now` (ms): cached, or fetched. Throws 401 for an unknown or unusable key. */
export function jwkCache(options: KeyCacheOptions): (kid: string, now: number) => Promise<Uint8Array> {
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
    entry.pending.then(
      // A refused key id is asked again sooner than a good key.
      (loaded) => {
        if ('refused' in loaded) entry.at = now - Math.max(0, options.ttlMs - UNKNOWN_KEY_TTL_MS)
      },
      // A fetch failure is not remembered.
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
