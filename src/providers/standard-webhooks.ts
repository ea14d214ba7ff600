/**
 * Standard Webhooks (https://www.standardwebhooks.com), as sent by Svix and
 * the services built on it. `webhook-*` headers, with `svix-*` as an alias.
 * Both signature schemes of the spec: `v1` (HMAC-SHA256 with a `whsec_`
 * secret) and `v1a` (Ed25519 with a `whpk_` public key). A receiver checks
 * only the schemes it has keys for: a `v1a` entry never satisfies a
 * secret-only receiver, nor a `v1` entry a public-key-only one. The
 * `webhook-id` is part of the signed content.
 *
 * Senders built on it get their own factory here, differing only in name,
 * the headers their signing helper writes and the body's type field:
 * `clerk()` and `resend()` (Svix, `svix-*`), `brex()` (`webhook-*`).
 *
 * @module
 */
import { concatBytes, decodeBase64, encodeBase64, toBytes, type CryptoBackend } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import {
  SIGN,
  type OrderingOptions,
  type Provider,
  type ProviderRequest,
  type SignOptions,
  type Verification,
} from '../types/index.js'
import { parseJson, record, stringField } from './kit/body.js'
import { invalidSignature, malformedSignature, MAX_SIGNATURE_ENTRIES } from './kit/fail.js'
import { eitherHeader } from './kit/headers.js'
import { hmacMatch, type HmacScheme } from './kit/hmac.js'
import { keySource, withKeys, type KeySource } from './kit/keys.js'
import { checkProviderName } from './kit/name.js'
import { MAX_SECRETS } from './kit/secrets.js'
import { requireOptions, resolveBackend, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp, resolveTolerance } from './kit/timestamp.js'

export interface StandardWebhooksOptions extends Omit<ProviderOptions, 'secret'> {
  /**
   * `v1`: the `whsec_…` signing secret, several during a rotation, or a
   * per-tenant resolver (see {@link ProviderOptions.secret}). Give this,
   * `publicKey`, or both.
   * @default none (`v1` entries are ignored)
   */
  secret?: ProviderOptions['secret']
  /**
   * `v1a`: the sender's Ed25519 public key, `whpk_` + base64 of 32 bytes, or
   * several during a rotation.
   * @default none (`v1a` entries are ignored)
   */
  publicKey?: string | readonly string[]
  /**
   * `v1a` signing key for `hookguard/testing` (and for senders): `whsk_` +
   * base64 of the 32-byte Ed25519 seed (the reference libraries' form) or of
   * the 64-byte seed‖public key. Needs `publicKey` too, and must belong to
   * its first entry. Never needed to receive.
   * @default none
   */
  privateKey?: string
  /**
   * Provider name used in dedupe keys and outcomes.
   * @default 'standard-webhooks'
   */
  name?: string
}

/** The secret is `whsec_` + base64 of the key bytes (the prefix is optional). */
function decodeSecret(secret: string): Uint8Array {
  const bytes = decodeBase64(secret.startsWith('whsec_') ? secret.slice(6) : secret)
  if (!bytes) throw new Error('is not whsec_ followed by base64')
  return bytes
}

const MAX_ID_LENGTH = 1024
const OTHER_PREFIX_HINTS: Record<string, string> = {
  whsec_: 'a v1 secret belongs in secret',
  whsk_: 'that is the secret key; the receiver needs the whpk_ public key',
  whpk_: 'that is the public key; give it as publicKey',
}

/** Strips an optional prefix; a key with another scheme's prefix is a mix-up worth naming. */
function decodeAsymmetricKey(
  name: string,
  option: string,
  value: unknown,
  prefix: 'whpk_' | 'whsk_',
  lengths: readonly number[],
): Uint8Array {
  if (typeof value !== 'string') throw configError(`${name}: ${option} must be a string (${prefix} followed by base64)`)
  for (const [other, hint] of Object.entries(OTHER_PREFIX_HINTS)) {
    if (other !== prefix && value.startsWith(other))
      throw configError(`${name}: ${option} starts with ${other}, expected ${prefix} (${hint})`)
  }
  const bytes = decodeBase64(value.startsWith(prefix) ? value.slice(prefix.length) : value)
  if (!bytes || !lengths.includes(bytes.length)) {
    throw configError(
      `${name}: ${option} must be ${prefix} followed by standard base64 of ${lengths.join(' or ')} bytes (an Ed25519 key)`,
    )
  }
  return bytes
}

function resolvePublicKeys(name: string, value: unknown): Uint8Array[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined
  if (!list) throw configError(`${name}: publicKey must be a string or an array of strings`)
  if (list.length === 0) throw configError(`${name}: publicKey list is empty`)
  if (list.length > MAX_SECRETS) throw configError(`${name}: at most ${MAX_SECRETS} public keys may be active at once`)
  return list.map((item, index) =>
    decodeAsymmetricKey(name, list.length > 1 ? `publicKey[${index}]` : 'publicKey', item, 'whpk_', [32]),
  )
}

/** The Ed25519 seed of `privateKey`, checked against the first public key. */
function resolveSeed(name: string, options: StandardWebhooksOptions, publicKeys: Uint8Array[]): Uint8Array | undefined {
  if (options.privateKey === undefined) return undefined
  if (publicKeys.length === 0) throw configError(`${name}: privateKey (whsk_…) needs publicKey (whpk_…) as well`)
  const secretKey = decodeAsymmetricKey(name, 'privateKey', options.privateKey, 'whsk_', [32, 64])
  const tail = secretKey.subarray(32)
  if (secretKey.length === 64 && !tail.every((byte, i) => byte === publicKeys[0]![i]))
    throw configError(`${name}: privateKey does not belong to publicKey${publicKeys.length > 1 ? '[0]' : ''}`)
  return secretKey.subarray(0, 32)
}

/**
 * Decodes the entries of the schemes this receiver has keys for into `v1`
 * and `v1a`; unknown versions are skipped, never guessed at. Allocation-free
 * for the common single-entry header (it runs on every request).
 */
function parseEntries(header: string, v1: Uint8Array[] | undefined, v1a: Uint8Array[] | undefined): void {
  // One entry is the common case: skip the split.
  const entries = header.indexOf(' ') === -1 ? [header] : header.split(' ').filter((entry) => entry !== '')
  if (entries.length > MAX_SIGNATURE_ENTRIES) throw malformedSignature('too many signatures')
  let versioned = 0
  for (const entry of entries) {
    const comma = entry.indexOf(',')
    if (comma <= 0) continue
    versioned++
    const isV1 = comma === 2 && entry.startsWith('v1')
    const list = isV1 ? v1 : comma === 3 && entry.startsWith('v1a') ? v1a : undefined
    if (list === undefined) continue
    const bytes = decodeBase64(entry.slice(comma + 1))
    if (bytes && (isV1 ? bytes.length > 0 : bytes.length === 64)) list.push(bytes)
  }
  if (versioned === 0) throw malformedSignature('webhook-signature has no version,signature entries')
}

/** The id header, checked. */
function readId(request: ProviderRequest): string {
  const id = eitherHeader(request, 'webhook-id', 'svix-id')
  if (id === undefined || id === '') throw new HookguardError('id.missing', { reason: 'webhook-id is missing' })
  if (id.length > MAX_ID_LENGTH) throw new HookguardError('header.malformed', { reason: 'webhook-id is too long' })
  return id
}

async function verifyV1a<T>(
  backend: CryptoBackend,
  publicKeys: readonly Uint8Array[],
  message: Uint8Array,
  signatures: readonly Uint8Array[],
  verification: T,
): Promise<T> {
  for (const publicKey of publicKeys) {
    for (const signature of signatures) {
      if (await backend.verifyEd25519(publicKey, message, signature)) return verification
    }
  }
  throw invalidSignature()
}

/** The shared receiving half: v1 first (synchronous on node:crypto), then v1a. */
function verifier(
  scheme: HmacScheme,
  keys: KeySource | undefined,
  publicKeys: Uint8Array[],
  tolerance: number | undefined,
) {
  return function verify(request: ProviderRequest): Verification | Promise<Verification> {
    const header = eitherHeader(request, 'webhook-signature', 'svix-signature')
    if (header === undefined || header.trim() === '')
      throw new HookguardError('signature.missing', { reason: 'webhook-signature is missing' })
    const id = readId(request)
    const timestampText = eitherHeader(request, 'webhook-timestamp', 'svix-timestamp')
    const timestamp = parseTimestamp(timestampText, 'webhook-timestamp')
    checkTimestamp(timestamp, request.now, tolerance)
    const v1: Uint8Array[] = []
    const v1a: Uint8Array[] | undefined = publicKeys.length > 0 ? [] : undefined
    parseEntries(header, keys && v1, v1a)
    const signedPrefix = `${id}.${timestampText}.`
    const verification = { id, timestamp }
    if (v1.length === 0 && !v1a?.length)
      throw invalidSignature('no signature of a configured scheme (v1 needs secret, v1a needs publicKey)')
    const pieces = [signedPrefix, request.body]
    // Fast path (static secret, node:crypto): a synchronous match, no closure allocated.
    const match = v1.length > 0 && keys!.fixed ? hmacMatch(scheme, keys!.fixed, pieces, v1) : undefined
    if (typeof match === 'number' && match !== -1) return verification
    const fallback = (): Promise<Verification> => {
      if (!v1a?.length) throw invalidSignature()
      const message = concatBytes([signedPrefix, request.body])
      return verifyV1a(scheme.backend, publicKeys, message, v1a, verification)
    }
    const settle = (found: number) => (found === -1 ? fallback() : verification)
    if (v1.length === 0 || match === -1) return fallback()
    if (match !== undefined) return match.then(settle)
    return withKeys(keys!, request, (k) => {
      const found = hmacMatch(scheme, k, pieces, v1)
      return typeof found === 'number' ? settle(found) : found.then(settle)
    })
  }
}

/**
 * Standard Webhooks `v1` (HMAC-SHA256, `secret`) and `v1a` (Ed25519, `publicKey`).
 *
 * @example
 * ```ts
 * standardWebhooks({ secret: process.env.WEBHOOK_SECRET! })      // whsec_…
 * standardWebhooks({ publicKey: process.env.WEBHOOK_PUBLIC_KEY! }) // whpk_…
 * ```
 */
export function standardWebhooks(options: StandardWebhooksOptions): Provider {
  return build(options, STANDARD)
}

/** How a sender built on the scheme differs: its default name, header spelling and type field. */
interface Sender {
  readonly name: string
  /** The headers its signing helper writes (`webhook-*` or Svix's `svix-*`); both are always read. */
  readonly prefix: 'webhook' | 'svix'
  readonly typeField: string
  /** The ordering default, where the sender's payloads carry an entity and a version. */
  readonly ordering?: OrderingOptions
}

/**
 * The ordering default of the spec's payload shape (`{ type, timestamp, data }`):
 * the entity is `data.id`; the version the payload's `timestamp` (when the
 * event occurred, inside the signed body), else the signed `webhook-timestamp`
 * (the time of the attempt: a retry of an older event carries a newer one).
 */
const STANDARD_ORDERING: OrderingOptions = {
  entity: (event) => stringField(record(event.payload)?.data, 'id'),
  version: (event) => {
    const timestamp = record(event.payload)?.timestamp
    return typeof timestamp === 'string' || typeof timestamp === 'number' ? timestamp : event.timestamp
  },
}

const STANDARD: Sender = {
  name: 'standard-webhooks',
  prefix: 'webhook',
  typeField: 'type',
  ordering: STANDARD_ORDERING,
}

function build(options: StandardWebhooksOptions, sender: Sender): Provider {
  requireOptions(sender.name, options, '{ secret } or { publicKey }')
  const name = checkProviderName(options.name ?? sender.name)
  if (options.secret === undefined && options.publicKey === undefined)
    throw configError(`${name}: give secret (whsec_…, for v1 signatures) or publicKey (whpk_…, for v1a signatures)`)
  const keys =
    options.secret === undefined ? undefined : keySource(name, options.secret, { decode: decodeSecret }, options)
  const publicKeys = options.publicKey === undefined ? [] : resolvePublicKeys(name, options.publicKey)
  const seed = resolveSeed(name, options, publicKeys)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)
  const scheme: HmacScheme = { backend, algorithm: 'sha256', fingerprint: false }

  const provider: Provider = {
    name,
    tolerance,
    sensitiveHeaders: ['webhook-signature', 'svix-signature'],
    ...(sender.ordering && { ordering: sender.ordering }),
    verify: verifier(scheme, keys, publicKeys, tolerance),
    parse: (request) => parseJson(request.body),
    describe(payload, _request, verification) {
      return { id: verification.id, type: stringField(payload, sender.typeField) }
    },
  }
  if (keys !== undefined || seed)
    Object.defineProperty(provider, SIGN, { value: signer(backend, keys, seed, publicKeys, sender.prefix) })
  return provider
}

function signer(
  backend: CryptoBackend,
  keys: KeySource | undefined,
  seed: Uint8Array | undefined,
  publicKeys: Uint8Array[],
  headerPrefix: Sender['prefix'],
) {
  return async function signStandardWebhooks(sign: SignOptions) {
    const id = sign.id ?? `msg_${Math.random().toString(36).slice(2)}`
    const timestamp = signingTimestamp(sign)
    const prefix = `${id}.${timestamp}.`
    const signatures: string[] = []
    if (keys !== undefined) {
      const [key] = await keys.forSigning(sign)
      signatures.push(`v1,${encodeBase64(await backend.hmac('sha256', key!, [prefix, sign.body]))}`)
    }
    if (seed) {
      const message = concatBytes([prefix, toBytes(sign.body)])
      const signature = await backend.signEd25519(seed, message)
      if (!(await backend.verifyEd25519(publicKeys[0]!, message, signature)))
        throw configError('standard-webhooks: privateKey does not belong to publicKey')
      signatures.push(`v1a,${encodeBase64(signature)}`)
    }
    const headers = {
      [`${headerPrefix}-id`]: id,
      [`${headerPrefix}-timestamp`]: String(timestamp),
      [`${headerPrefix}-signature`]: signatures.join(' '),
    }
    return { headers: { 'content-type': 'application/json', ...sign.headers, ...headers }, body: sign.body }
  }
}

/**
 * Options of the senders built on Standard Webhooks ({@link clerk},
 * {@link resend}, {@link brex}): the `whsec_…` signing secret (several
 * during a rotation, or a per-tenant resolver), and the usual tolerance.
 */
export type SvixSenderOptions = Omit<StandardWebhooksOptions, 'secret' | 'publicKey' | 'privateKey'> & {
  /** The endpoint's signing secret, `whsec_…` (see each factory for where the dashboard shows it). */
  secret: ProviderOptions['secret']
}

function svixSender(options: SvixSenderOptions, sender: Sender): Provider {
  requireOptions(sender.name, options)
  if (options.secret === undefined) throw configError(`${sender.name}: pass { secret } (the whsec_… signing secret)`)
  if ('publicKey' in options || 'privateKey' in options)
    throw configError(`${sender.name}: signs with a whsec_ secret only; use standardWebhooks() for v1a public keys`)
  return build(options, sender)
}

/**
 * Clerk webhooks (Svix): `svix-id`, `svix-timestamp`, `svix-signature`; the
 * id is the signed `svix-id`, the type the body's `type` (`user.created` …).
 * Its payloads have the spec's shape, so `ordering: true` works: the entity
 * is `data.id` (`user_…`), the version the payload's `timestamp` (ms).
 *
 * @example
 * ```ts
 * // Dashboard → Configure → Webhooks → your endpoint → Signing Secret
 * const provider = clerk({ secret: process.env.CLERK_WEBHOOK_SIGNING_SECRET! })
 * ```
 */
export function clerk(options: SvixSenderOptions): Provider {
  return svixSender(options, { name: 'clerk', prefix: 'svix', typeField: 'type', ordering: STANDARD_ORDERING })
}

/**
 * Resend webhooks (Svix): `svix-id`, `svix-timestamp`, `svix-signature`; the
 * id is the signed `svix-id`, the type the body's `type` (`email.delivered` …).
 *
 * @example
 * ```ts
 * // Dashboard → Webhooks → your webhook → Signing Secret
 * const provider = resend({ secret: process.env.RESEND_WEBHOOK_SECRET! })
 * ```
 */
export function resend(options: SvixSenderOptions): Provider {
  return svixSender(options, { name: 'resend', prefix: 'svix', typeField: 'type' })
}

/**
 * Brex webhooks (Standard Webhooks): `Webhook-Id`, `Webhook-Timestamp`,
 * `Webhook-Signature`; the id is the signed `Webhook-Id`, the type the
 * body's `event_type` (`TRANSFER_PROCESSED` …).
 *
 * @example
 * ```ts
 * // GET /v1/webhooks/secrets: during a rotation it lists two; give both.
 * const provider = brex({ secret: [process.env.BREX_WEBHOOK_SECRET!, process.env.BREX_WEBHOOK_SECRET_OLD!] })
 * ```
 */
export function brex(options: SvixSenderOptions): Provider {
  return svixSender(options, { name: 'brex', prefix: 'webhook', typeField: 'event_type' })
}
