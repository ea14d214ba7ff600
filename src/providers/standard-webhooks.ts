/**
 * Standard Webhooks (https://www.standardwebhooks.com), as sent by Svix and
 * the services built on it. `webhook-*` headers, with `svix-*` as an alias.
 * Both signature schemes of the spec: `v1` (HMAC-SHA256 with a `whsec_`
 * secret) and `v1a` (Ed25519 with a `whpk_` public key). A receiver checks
 * only the schemes it has keys for: a `v1a` entry never satisfies a
 * secret-only receiver, nor a `v1` entry a public-key-only one.
 *
 * @module
 */
import { concatBytes, decodeBase64, encodeBase64, toBytes, type CryptoBackend } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import {
  checkTimestamp,
  invalidSignature,
  matchHmac,
  MAX_SIGNATURE_ENTRIES,
  parseJson,
  parseTimestamp,
  readHeader,
  resolveBackend,
  resolveSecrets,
  resolveTolerance,
  signingTimestamp,
  stringField,
  type ProviderOptions,
} from './shared.js'

export interface StandardWebhooksOptions extends Omit<ProviderOptions, 'secret'> {
  /**
   * `v1`: the `whsec_…` signing secret, or several during a rotation. Give
   * this, `publicKey`, or both. Default: none (`v1` entries are ignored).
   */
  secret?: string | readonly string[]
  /**
   * `v1a`: the sender's Ed25519 public key, `whpk_` + base64 of 32 bytes, or
   * several during a rotation. Default: none (`v1a` entries are ignored).
   */
  publicKey?: string | readonly string[]
  /**
   * `v1a` signing key for `hookguard/testing` (and for senders): `whsk_` +
   * base64 of the 32-byte Ed25519 seed (the reference libraries' form) or of
   * the 64-byte seed‖public key. Needs `publicKey` too, and must belong to
   * its first entry. Never needed to receive. Default: none.
   */
  privateKey?: string
  /** Provider name used in dedupe keys and outcomes. Default 'standard-webhooks'. */
  name?: string
}

/** The secret is `whsec_` + base64 of the key bytes (the prefix is optional). */
function decodeSecret(secret: string): Uint8Array {
  const encoded = secret.startsWith('whsec_') ? secret.slice(6) : secret
  const bytes = decodeBase64(encoded)
  if (!bytes) throw new Error('is not whsec_ followed by base64')
  return bytes
}

/** Reads a header under its `webhook-` name or its `svix-` alias; both present must agree. */
function aliasedHeader(request: ProviderRequest, suffix: 'id' | 'timestamp' | 'signature'): string | undefined {
  const [standardName, svixName] = HEADER_NAMES[suffix]
  const standard = readHeader(request, standardName)
  const svix = readHeader(request, svixName)
  if (standard !== undefined && svix !== undefined && standard !== svix) {
    throw new HookguardError('header.conflict', { reason: `${standardName} and ${svixName} differ` })
  }
  return standard ?? svix
}

// Constant names: lookups with freshly built strings cost about 2 µs per request (profiled).
const HEADER_NAMES = {
  id: ['webhook-id', 'svix-id'],
  timestamp: ['webhook-timestamp', 'svix-timestamp'],
  signature: ['webhook-signature', 'svix-signature'],
} as const

const MAX_ID_LENGTH = 1024

/** Strips an optional prefix; a key with another scheme's prefix is a mix-up worth naming. */
function decodeAsymmetricKey(
  name: string,
  option: string,
  value: unknown,
  prefix: 'whpk_' | 'whsk_',
  lengths: readonly number[],
): Uint8Array {
  if (typeof value !== 'string') throw configError(`${name}: ${option} must be a string (${prefix} followed by base64)`)
  for (const other of ['whsec_', 'whpk_', 'whsk_']) {
    if (other !== prefix && value.startsWith(other)) {
      const hint =
        other === 'whsec_'
          ? 'a v1 secret belongs in secret'
          : other === 'whsk_'
            ? 'that is the secret key; the receiver needs the whpk_ public key'
            : 'that is the public key; give it as publicKey'
      throw configError(`${name}: ${option} starts with ${other}, expected ${prefix} (${hint})`)
    }
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
  if (list.length > 16) throw configError(`${name}: at most 16 public keys may be active at once`)
  return list.map((item, index) =>
    decodeAsymmetricKey(name, list.length > 1 ? `publicKey[${index}]` : 'publicKey', item, 'whpk_', [32]),
  )
}

async function verifyV1a<T>(
  backend: CryptoBackend,
  publicKeys: readonly Uint8Array[],
  signedPrefix: string,
  body: Uint8Array,
  signatures: readonly Uint8Array[],
  verification: T,
): Promise<T> {
  const message = concatBytes([signedPrefix, body])
  for (const publicKey of publicKeys) {
    for (const signature of signatures) {
      if (await backend.verifyEd25519(publicKey, message, signature)) return verification
    }
  }
  throw invalidSignature('no signature matched')
}

/** The Web Crypto path of v1, falling back to v1a entries when no v1 entry matched. */
async function settleV1<T>(
  matched: Promise<boolean>,
  backend: CryptoBackend,
  publicKeys: readonly Uint8Array[],
  signedPrefix: string,
  body: Uint8Array,
  signaturesV1a: readonly Uint8Array[],
  verification: T,
): Promise<T> {
  if (await matched) return verification
  if (signaturesV1a.length > 0) return verifyV1a(backend, publicKeys, signedPrefix, body, signaturesV1a, verification)
  throw invalidSignature()
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
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
  const name = options.name ?? 'standard-webhooks'
  if (options.secret === undefined && options.publicKey === undefined) {
    throw configError(`${name}: give secret (whsec_…, for v1 signatures) or publicKey (whpk_…, for v1a signatures)`)
  }
  const keys = options.secret === undefined ? [] : resolveSecrets(name, options.secret, { decode: decodeSecret })
  const publicKeys = options.publicKey === undefined ? [] : resolvePublicKeys(name, options.publicKey)
  let seed: Uint8Array | undefined
  if (options.privateKey !== undefined) {
    if (publicKeys.length === 0) throw configError(`${name}: privateKey (whsk_…) needs publicKey (whpk_…) as well`)
    const secretKey = decodeAsymmetricKey(name, 'privateKey', options.privateKey, 'whsk_', [32, 64])
    seed = secretKey.subarray(0, 32)
    if (secretKey.length === 64 && !sameBytes(secretKey.subarray(32), publicKeys[0]!)) {
      throw configError(`${name}: privateKey does not belong to publicKey${publicKeys.length > 1 ? '[0]' : ''}`)
    }
  }
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)

  const provider: Provider = {
    name,
    tolerance,
    sensitiveHeaders: ['webhook-signature', 'svix-signature'],
    verify(request) {
      const header = aliasedHeader(request, 'signature')
      if (header === undefined || header.trim() === '')
        throw new HookguardError('signature.missing', { reason: 'webhook-signature is missing' })
      const id = aliasedHeader(request, 'id')
      if (id === undefined || id === '') throw new HookguardError('id.missing', { reason: 'webhook-id is missing' })
      if (id.length > MAX_ID_LENGTH) throw new HookguardError('header.malformed', { reason: 'webhook-id is too long' })
      const timestampText = aliasedHeader(request, 'timestamp')
      const timestamp = parseTimestamp(timestampText, 'webhook-timestamp')
      checkTimestamp(timestamp, request.now, tolerance)

      // One entry is the common case: skip the split.
      const entries = header.indexOf(' ') === -1 ? [header] : header.split(' ').filter((entry) => entry !== '')
      if (entries.length > MAX_SIGNATURE_ENTRIES)
        throw new HookguardError('signature.malformed', { reason: 'too many signatures' })
      const received: Uint8Array[] = []
      const receivedV1a: Uint8Array[] = []
      let versioned = 0
      for (const entry of entries) {
        const comma = entry.indexOf(',')
        if (comma <= 0) continue
        versioned++
        // Only the schemes this receiver has keys for count; unknown versions are skipped, never guessed at.
        const version = entry.slice(0, comma)
        if (version === 'v1' && keys.length > 0) {
          const bytes = decodeBase64(entry.slice(comma + 1))
          if (bytes && bytes.length > 0) received.push(bytes)
        } else if (version === 'v1a' && publicKeys.length > 0) {
          const bytes = decodeBase64(entry.slice(comma + 1))
          if (bytes && bytes.length === 64) receivedV1a.push(bytes)
        }
      }
      if (versioned === 0)
        throw new HookguardError('signature.malformed', {
          reason: 'webhook-signature has no version,signature entries',
        })
      const signedPrefix = `${id}.${timestampText}.`
      const verification = { id, timestamp }
      if (received.length > 0) {
        const matched = matchHmac(backend, 'sha256', keys, [signedPrefix, request.body], received)
        // node:crypto answers synchronously; only Web Crypto or a v1a fallback goes async.
        if (matched === true) return verification
        if (matched === false && receivedV1a.length === 0) throw invalidSignature()
        if (matched !== false)
          return settleV1(matched, backend, publicKeys, signedPrefix, request.body, receivedV1a, verification)
      }
      if (receivedV1a.length > 0)
        return verifyV1a(backend, publicKeys, signedPrefix, request.body, receivedV1a, verification)
      throw invalidSignature(
        received.length + receivedV1a.length === 0
          ? 'no signature of a configured scheme (v1 needs secret, v1a needs publicKey)'
          : 'no signature matched',
      )
    },
    parse: (request) => parseJson(request.body),
    describe(payload, _request, verification) {
      return { id: verification.id, type: stringField(payload, 'type') }
    },
  }
  if (keys.length > 0 || seed) {
    Object.defineProperty(provider, SIGN, {
      value: async function signStandardWebhooks(sign: SignOptions) {
        const id = sign.id ?? `msg_${Math.random().toString(36).slice(2)}`
        const timestamp = signingTimestamp(sign)
        const signatures: string[] = []
        if (keys.length > 0)
          signatures.push(
            `v1,${encodeBase64(await backend.hmac('sha256', keys[0]!, [`${id}.${timestamp}.`, sign.body]))}`,
          )
        if (seed) {
          const message = concatBytes([`${id}.${timestamp}.`, toBytes(sign.body)])
          const signature = await backend.signEd25519(seed, message)
          if (!(await backend.verifyEd25519(publicKeys[0]!, message, signature)))
            throw configError(`${name}: privateKey does not belong to publicKey`)
          signatures.push(`v1a,${encodeBase64(signature)}`)
        }
        return {
          headers: {
            'content-type': 'application/json',
            ...sign.headers,
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signatures.join(' '),
          },
          body: sign.body,
        }
      },
    })
  }
  return provider
}

/** Throws at construction when `name` is not usable in dedupe keys. */
export function checkProviderName(name: string): void {
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name))
    throw configError(`provider name must match [a-z0-9][a-z0-9_-]* (got ${JSON.stringify(name)})`)
}
