/**
 * SendGrid (Twilio SendGrid) Event Webhook with signature verification on:
 * `X-Twilio-Email-Event-Webhook-Signature` is a base64 DER ECDSA P-256
 * signature (SHA-256) over `X-Twilio-Email-Event-Webhook-Timestamp + body`,
 * checked with the verification key from Mail Settings (base64 DER
 * SubjectPublicKeyInfo). Unlike SendGrid's helper, the timestamp is also
 * checked against a tolerance, in both directions.
 *
 * A delivery is a JSON array of events with no id of its own, so the event id
 * is `sha256:` + the hex SHA-256 of the raw (signed) body: a retry of the
 * same batch carries the same bytes and is dropped as a duplicate. Events inside a batch
 * carry `sg_event_id`; dedupe those in the handler if SendGrid re-batches.
 *
 * @module
 */
import {
  concatBytes,
  decodeBase64,
  ecdsaRawToDer,
  encodeBase64,
  encodeHex,
  toArrayBuffer,
  toBytes,
  type CryptoBackend,
} from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { bodyHashId, parseJson } from './kit/body.js'
import { invalidSignature } from './kit/fail.js'
import { readHeader, requireSignatureHeader } from './kit/headers.js'
import { requireOptions, resolveBackend } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp, resolveTolerance } from './kit/timestamp.js'

export interface SendGridOptions {
  /**
   * Required: the Event Webhook verification key from SendGrid's Mail
   * Settings → Event Webhook → Signature Verification (base64 of a DER
   * P-256 public key, `MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE…`). A PEM
   * `-----BEGIN PUBLIC KEY-----` block is accepted too.
   */
  publicKey: string
  /** Allowed clock skew of the signed timestamp, seconds, both directions. @default 300 */
  tolerance?: number
  /** Turn the timestamp check off (unsafe). @default false */
  skipTimestampCheck?: boolean
  /**
   * Test-only: the P-256 private key (PKCS#8, PEM or base64 DER) that belongs
   * to `publicKey`, so `hookguard/testing` can sign. SendGrid never hands
   * out its private key.
   * @default none
   */
  privateKey?: string
  /** Crypto implementation. @default node:crypto when present, else Web Crypto */
  crypto?: CryptoBackend
}

const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature'
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp'
// SubjectPublicKeyInfo header for an uncompressed P-256 point (id-ecPublicKey, prime256v1).
const P256_SPKI_PREFIX = '3059301306072a8648ce3d020106082a8648ce3d030107034200'

function pemOrBase64(value: string, label: string): Uint8Array | undefined {
  const armored = new RegExp(`^-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----\\s*$`).exec(
    value.trim(),
  )
  return decodeBase64(armored ? armored[1]!.replace(/\s+/g, '') : value)
}

function decodePublicKey(value: unknown): Uint8Array {
  if (typeof value !== 'string')
    throw configError(
      `sendgrid: publicKey must be a string, the verification key from Mail Settings → Event Webhook (got ${value === undefined ? 'undefined' : typeof value})`,
    )
  const der = pemOrBase64(value, 'PUBLIC KEY')
  if (!der || der.length !== 91 || encodeHex(der.subarray(0, 26)) !== P256_SPKI_PREFIX || der[26] !== 0x04) {
    throw configError(
      'sendgrid: publicKey must be the base64 P-256 verification key from Mail Settings → Event Webhook (starts with MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE)',
    )
  }
  return der
}

/** Type of the batch: the shared `event` of every entry, or 'batch' when they differ. */
function batchType(events: unknown[]): string {
  const types = new Set(
    events.map((event) =>
      typeof event === 'object' && event !== null ? (event as { event?: unknown }).event : undefined,
    ),
  )
  const [only] = types
  return types.size === 1 && typeof only === 'string' && only !== '' ? only : 'batch'
}

/**
 * SendGrid Event Webhook (signed).
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: sendgrid({ publicKey: process.env.SENDGRID_WEBHOOK_PUBLIC_KEY! }) })
 * ```
 */
export function sendgrid(options: SendGridOptions): Provider {
  const name = 'sendgrid'
  requireOptions(name, options, '{ publicKey } — the Event Webhook verification key')
  const publicKey = decodePublicKey(options.publicKey)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)
  const verifyPublicKey = backend.verifyPublicKey?.bind(backend)
  if (!verifyPublicKey)
    throw configError(
      'sendgrid: the crypto backend has no verifyPublicKey (ECDSA); use nodeCryptoBackend() or webCryptoBackend()',
    )
  let privateKey: Uint8Array | undefined
  if (options.privateKey !== undefined) {
    privateKey = typeof options.privateKey === 'string' ? pemOrBase64(options.privateKey, 'PRIVATE KEY') : undefined
    if (!privateKey || privateKey.length < 64)
      throw configError('sendgrid: privateKey must be a PKCS#8 P-256 private key, PEM or base64 DER')
  }

  const provider: Provider = {
    name,
    tolerance,
    sensitiveHeaders: [SIGNATURE_HEADER],
    async verify(request) {
      const signatureText = requireSignatureHeader(request, SIGNATURE_HEADER)
      const timestampText = readHeader(request, TIMESTAMP_HEADER)
      const timestamp = parseTimestamp(timestampText, TIMESTAMP_HEADER)
      checkTimestamp(timestamp, request.now, tolerance)
      const signature = decodeBase64(signatureText)
      // A DER P-256 signature is 8 to 72 bytes.
      if (!signature || signature.length < 8 || signature.length > 72)
        throw new HookguardError('signature.malformed', {
          reason: `${SIGNATURE_HEADER} is not base64 of a DER ECDSA signature`,
        })
      const ok = await verifyPublicKey!(
        'ecdsa-p256-sha256',
        publicKey,
        concatBytes([timestampText!, request.body]),
        signature,
      )
      if (!ok) throw invalidSignature()
      return { timestamp }
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request) {
      if (!Array.isArray(payload))
        throw new HookguardError('body.malformed', { reason: 'SendGrid events arrive as a JSON array' })
      return { id: await bodyHashId(backend, request.body), type: batchType(payload) }
    },
  }

  if (privateKey) Object.defineProperty(provider, SIGN, { value: signer(privateKey, publicKey, verifyPublicKey) })
  return provider
}

function signer(
  privateKey: Uint8Array,
  publicKey: Uint8Array,
  verifyPublicKey: NonNullable<CryptoBackend['verifyPublicKey']>,
) {
  let key: Promise<CryptoKey> | undefined
  return async function signSendGrid(sign: SignOptions) {
    const subtle = globalThis.crypto?.subtle
    if (!subtle) throw configError('sendgrid: signing needs Web Crypto (globalThis.crypto.subtle)')
    key ??= subtle.importKey('pkcs8', toArrayBuffer(privateKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
    ])
    const timestamp = String(signingTimestamp(sign))
    const message = concatBytes([timestamp, toBytes(sign.body)])
    const raw = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, await key, toArrayBuffer(message)))
    const signature = ecdsaRawToDer(raw, 32)
    if (!(await verifyPublicKey('ecdsa-p256-sha256', publicKey, message, signature)))
      throw configError('sendgrid: privateKey does not belong to publicKey')
    return {
      headers: {
        'content-type': 'application/json',
        ...sign.headers,
        [SIGNATURE_HEADER]: encodeBase64(signature),
        [TIMESTAMP_HEADER]: timestamp,
      },
      body: sign.body,
    }
  }
}
