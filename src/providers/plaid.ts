/**
 * Plaid webhooks: `Plaid-Verification` is a JWT signed with ES256 by the key
 * its header names (`kid`). Its claims are `iat` and `request_body_sha256`,
 * the SHA-256 of the raw body. Checked, in order, before any network access:
 * the JWT's shape and strict base64url; `alg` is exactly ES256 (the
 * algorithm never comes from the request); `iat` within the tolerance both
 * ways (Plaid: "no more than 5 minutes old"); the body's SHA-256 equals the
 * claim (constant time). Then the key is fetched from the pinned
 * `/webhook_verification_key/get` URL of the configured environment (cached
 * by kid; concurrent requests share one fetch) and the signature verified.
 * An unknown or expired kid is a 401; Plaid out of reach is a 503.
 *
 * - Id: Plaid sends no event id, and distinct notifications can share a
 *   body (`SYNC_UPDATES_AVAILABLE` for one Item repeats byte for byte), so
 *   a body hash alone would drop the later ones for as long as the store
 *   remembers the first. Plaid signs a new token, with a new `iat`, for
 *   every attempt, so the id is `sha256:<hex of the body>@<iat>`: both parts
 *   signed, one per transmission. A replay of a captured request is a
 *   duplicate; a retry and a repeated notification run the handler again
 *   (Plaid asks for idempotent handlers). No fingerprint: the id is signed.
 * - Type: `<webhook_type>.<webhook_code>` (`TRANSACTIONS.SYNC_UPDATES_AVAILABLE`).
 *
 * @module
 */
import {
  constantTimeEqual,
  decodeBase64,
  decodeHex,
  ecdsaRawToDer,
  encodeBase64,
  encodeHex,
  toArrayBuffer,
  type CryptoBackend,
} from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { bodyHashId, parseJson, stringField } from './kit/body.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { jwkCache, type EcJwk, type JwkFetcher } from './kit/jwk-keys.js'
import { readEs256Token } from './kit/jws.js'
import { decodeSecrets } from './kit/secrets.js'
import { requireOptions, resolveBackend } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, resolveTolerance } from './kit/timestamp.js'

/** A key as `/webhook_verification_key/get` answers it (`key`). */
export type PlaidJwk = EcJwk

/**
 * Fetches the JWK of key `kid` from `url` (the pinned URL of the configured
 * environment). Resolves to undefined when Plaid does not know the key;
 * throws when Plaid could not be asked (network, 5xx, refused credentials).
 */
export type PlaidKeyFetcher = JwkFetcher

/** The key URL of each environment: nothing else is ever asked. */
export const PLAID_KEY_URLS = {
  production: 'https://production.plaid.com/webhook_verification_key/get',
  sandbox: 'https://sandbox.plaid.com/webhook_verification_key/get',
} as const

export interface PlaidOptions {
  /** Which Plaid environment's keys verify deliveries (the key URL is pinned per environment). @default 'production' */
  environment?: 'production' | 'sandbox'
  /** Your Plaid API `client_id`, for the default key fetcher. Required unless `fetchKey` is given. @default none */
  clientId?: string
  /** Your Plaid API `secret` for that environment, for the default key fetcher; never logged. @default none */
  secret?: string
  /**
   * Fetches the JWK of a key id from the pinned URL it is given. Inject one
   * to run offline (tests), to add a proxy, or to use the Plaid SDK's
   * `webhookVerificationKeyGet`. Resolve to `undefined` when Plaid does not
   * know the key (401); throw when Plaid could not be asked (503).
   * @default a POST to the environment's `/webhook_verification_key/get` with `clientId` and `secret` (10 s timeout, no redirects)
   */
  fetchKey?: PlaidKeyFetcher
  /** Allowed age (and clock skew ahead) of `iat`, seconds. @default 300 (Plaid's five minutes) */
  tolerance?: number
  /** Turn the `iat` check off (unsafe). @default false */
  skipTimestampCheck?: boolean
  /** How many key ids to remember. @default 16 */
  cacheSize?: number
  /** How long a fetched key is used before it is fetched again (so an expiry Plaid sets takes effect), ms. @default 3600000 (1 hour) */
  keyTtlMs?: number
  /**
   * Test-only: lets `hookguard/testing` sign deliveries. `privateKey` is a
   * PKCS#8 PEM P-256 key whose public JWK `fetchKey` serves under `kid`.
   * @default none
   */
  signing?: { privateKey: string; kid: string }
  /** Crypto implementation. @default node:crypto when present, else Web Crypto */
  crypto?: CryptoBackend
}

const MAX_RESPONSE_BYTES = 64 * 1024

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
function plaidApiFetcher(clientId: string, secret: string): PlaidKeyFetcher {
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

/** The token's claims: a whole-seconds `iat` and the body's SHA-256 as lower-case hex. */
function readClaims(claims: Record<string, unknown>): { iat: number; bodySha256: Uint8Array } {
  const iat = claims.iat
  if (iat === undefined) throw new HookguardError('timestamp.missing', { reason: 'plaid-verification has no iat' })
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0)
    throw new HookguardError('timestamp.malformed', { reason: 'plaid-verification iat is not whole seconds' })
  const hash = typeof claims.request_body_sha256 === 'string' ? decodeHex(claims.request_body_sha256) : undefined
  if (!hash || hash.length !== 32)
    throw malformedSignature('plaid-verification request_body_sha256 is not 64 lower-case hex digits')
  return { iat, bodySha256: hash }
}

function checkNumber(value: unknown, fallback: number, what: string, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw configError(`plaid: ${what} must be an integer from ${min} to ${max}`)
  return value
}

function keyFetcher(options: PlaidOptions): PlaidKeyFetcher {
  if (options.fetchKey !== undefined) {
    if (typeof options.fetchKey !== 'function')
      throw configError('plaid: fetchKey must be a function (kid, url) => Promise<jwk>')
    if (options.clientId !== undefined || options.secret !== undefined)
      throw configError('plaid: give either fetchKey or clientId and secret, not both')
    return options.fetchKey
  }
  if (typeof options.clientId !== 'string' || !/^[A-Za-z0-9]{8,64}$/.test(options.clientId))
    throw configError('plaid: pass clientId and secret (your Plaid API keys), or fetchKey')
  const [secret] = decodeSecrets('plaid', options.secret)
  return plaidApiFetcher(options.clientId, new TextDecoder().decode(secret))
}

function checkOptions(options: PlaidOptions) {
  requireOptions('plaid', options, '{ clientId, secret } (your Plaid API keys) or { fetchKey }')
  const environment = options.environment ?? 'production'
  if (environment !== 'production' && environment !== 'sandbox')
    throw configError(`plaid: environment must be 'production' or 'sandbox'`)
  const signing = options.signing
  if (signing !== undefined) {
    if (typeof signing?.privateKey !== 'string' || !signing.privateKey.includes('-----BEGIN PRIVATE KEY-----'))
      throw configError('plaid: signing.privateKey must be a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)')
    if (typeof signing.kid !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(signing.kid))
      throw configError('plaid: signing.kid must be the key id its public key is served under')
  }
  return {
    url: PLAID_KEY_URLS[environment],
    fetchKey: keyFetcher(options),
    cacheSize: checkNumber(options.cacheSize, 16, 'cacheSize', 1, 1024),
    keyTtlMs: checkNumber(options.keyTtlMs, 3_600_000, 'keyTtlMs', 1000, 86_400_000),
    signing,
  }
}

/**
 * Plaid webhooks, verified with Plaid's published ES256 keys.
 *
 * @example
 * ```ts
 * const provider = plaid({ clientId: process.env.PLAID_CLIENT_ID!, secret: process.env.PLAID_SECRET! })
 * ```
 */
export function plaid(options: PlaidOptions): Provider {
  const name = 'plaid'
  const { url, fetchKey, cacheSize, keyTtlMs, signing } = checkOptions(options)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)
  const verifyPublicKey = backend.verifyPublicKey?.bind(backend)
  if (!verifyPublicKey)
    throw configError(
      'plaid: the crypto backend has no verifyPublicKey (ECDSA); use nodeCryptoBackend() or webCryptoBackend()',
    )
  const keyFor = jwkCache({ fetchKey, url, sender: 'Plaid', size: cacheSize, ttlMs: keyTtlMs })

  const provider: Provider = {
    name,
    tolerance,
    sensitiveHeaders: ['plaid-verification'],
    async verify(request: ProviderRequest) {
      const token = readEs256Token(requireSignatureHeader(request, 'plaid-verification'), 'plaid-verification')
      const { iat, bodySha256 } = readClaims(token.claims)
      checkTimestamp(iat, request.now, tolerance)
      // The body hash is public data, so checking it before the signature leaks nothing.
      if (!constantTimeEqual(await backend.digest('sha256', request.body), bodySha256))
        throw invalidSignature('body does not match request_body_sha256')
      const spki = await keyFor(token.kid, request.now)
      const signature = ecdsaRawToDer(token.signature, 32)
      if (!(await verifyPublicKey('ecdsa-p256-sha256', spki, token.signingInput, signature))) throw invalidSignature()
      return { timestamp: iat }
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request, verification) {
      const type = stringField(payload, 'webhook_type')
      const code = stringField(payload, 'webhook_code')
      const id = `${await bodyHashId(backend, request.body)}@${verification.timestamp}`
      return { id, type: type && code ? `${type}.${code}` : type }
    },
  }
  if (signing) Object.defineProperty(provider, SIGN, { value: signer(backend, signing) })
  return provider
}

function signer(backend: CryptoBackend, signing: { privateKey: string; kid: string }) {
  let key: Promise<CryptoKey> | undefined
  const part = (value: object) => encodeBase64(new TextEncoder().encode(JSON.stringify(value)), 'base64url')
  return async function signPlaid(sign: SignOptions) {
    const subtle = globalThis.crypto?.subtle
    if (!subtle) throw configError('plaid: signing needs Web Crypto (globalThis.crypto.subtle)')
    const der = decodeBase64(signing.privateKey.replace(/-----(BEGIN|END) PRIVATE KEY-----|\s/g, ''))
    if (!der) throw configError('plaid: signing.privateKey is not valid PEM')
    const params = { name: 'ECDSA', namedCurve: 'P-256' }
    key ??= subtle.importKey('pkcs8', toArrayBuffer(der), params, false, ['sign'])
    const body = typeof sign.body === 'string' ? new TextEncoder().encode(sign.body) : sign.body
    const claims = { iat: signingTimestamp(sign), request_body_sha256: encodeHex(await backend.digest('sha256', body)) }
    const input = `${part({ alg: 'ES256', kid: signing.kid, typ: 'JWT' })}.${part(claims)}`
    const raw = await subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      await key,
      toArrayBuffer(new TextEncoder().encode(input)),
    )
    const token = `${input}.${encodeBase64(new Uint8Array(raw), 'base64url')}`
    return {
      headers: { 'content-type': 'application/json', ...sign.headers, 'plaid-verification': token },
      body: sign.body,
    }
  }
}
