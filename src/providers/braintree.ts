/**
 * Braintree: a form-encoded POST of two fields. `bt_payload` is the base64
 * of the notification XML; `bt_signature` is `publicKey|hex` pairs joined by
 * `&`, each hex the HMAC-SHA1 of `bt_payload` keyed by the SHA-1 of that
 * API key pair's private key (the scheme of Braintree's SDKs, which also
 * accept the MAC of `bt_payload` followed by a newline).
 *
 * - Only pairs whose public key is the configured `publicKey` count, as in
 *   the SDKs. SHA-1 is what Braintree uses; it is never negotiated.
 * - The MAC covers the decoded `bt_payload`, not the body's bytes (a
 *   percent escape may be spelt `%2B` or `%2b`), so the verified MAC is the
 *   fingerprint: every spelling of one notification is one event.
 * - Id: Braintree sends no notification id. The id is `sha256:` + the hex
 *   SHA-256 of the notification XML (unique per notification through its
 *   `<timestamp>` and subject); a retry resends it and is a duplicate.
 * - Type: the notification's `<kind>`. The `check` notification (the
 *   Control Panel's "Check URL") is a handshake: verified, answered 200 and
 *   never queued.
 * - Payload: `{ kind, timestamp, xml, payload }` — parse `xml` with an XML
 *   parser (the SDK uses xml2js) for the subject.
 * - The XML `<timestamp>` is the notification's time, kept on retries, so it
 *   is not a freshness check: the dedupe store is the replay protection.
 *
 * @module
 */
import { decodeBase64, decodeHex, encodeBase64, encodeHex } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { bodyText, formPairs } from './kit/body.js'
import { invalidSignature, malformedSignature, MAX_SIGNATURE_ENTRIES } from './kit/fail.js'
import { hmacMatch, settle } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, requireOptions, type UntimedProviderOptions } from './kit/setup.js'
import { signBodyText } from './kit/sign.js'
import { sha1 } from './kit/sha1.js'
import { rootChildText } from './kit/xml.js'

export interface BraintreeOptions extends UntimedProviderOptions {
  /**
   * The API key pair's public key (or several, during a key rotation):
   * only signatures under these public keys are checked. `secret` is the
   * matching private key (or keys).
   */
  publicKey: string | readonly string[]
}

/** What the handler receives as `event.payload`. */
export interface BraintreeNotification {
  /** The notification kind (`subscription_went_past_due` …). */
  kind?: string
  /** The notification's `<timestamp>` text (UTC, ISO 8601). */
  timestamp?: string
  /** The decoded notification XML, for a full parse (Braintree's SDK uses xml2js). */
  xml: string
  /** `bt_payload` as received (base64 of the XML). */
  payload: string
}

/** Braintree's payload alphabet (its SDKs refuse anything else before the signature check). */
const PAYLOAD_RE = /^[A-Za-z0-9+/=\n]+$/

/** The XML bytes of a verified `bt_payload`: base64, possibly with line breaks. */
function payloadXml(payload: string): Uint8Array {
  const bytes = decodeBase64(payload.replace(/\n/g, ''))
  if (!bytes) throw new HookguardError('body.malformed', { reason: 'bt_payload is not base64' })
  return bytes
}

/** The notification a verified `bt_payload` holds: its root `<kind>` and `<timestamp>`, and the XML. */
export function readNotification(payload: string): BraintreeNotification {
  const xml = bodyText(payloadXml(payload)).replace(/^<\?xml[^>]*\?>/, '')
  const { kind, timestamp } = rootChildText(xml, ['kind', 'timestamp'])
  return { kind: kind?.trim() || undefined, timestamp: timestamp?.trim() || undefined, xml, payload }
}

/** The private key as Braintree's SDKs use it: the SHA-1 of its bytes. */
function hmacKey(privateKey: string): Uint8Array {
  // Braintree's private keys are 32 hex characters; the SDKs hash the key's bytes as Latin-1.
  if (!/^[\x21-\x7e]+$/.test(privateKey)) throw new Error('must be printable ASCII, as Braintree issues it')
  if (privateKey.length < 16) throw new Error(`is too short (${privateKey.length} bytes; at least 16 required)`)
  return sha1(new TextEncoder().encode(privateKey))
}

function publicKeys(value: unknown): readonly string[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || !list.every((k) => typeof k === 'string' && /^\S+$/.test(k)))
    throw configError('braintree: publicKey must be the API key pair’s public key (a string, or a non-empty array)')
  return list as string[]
}

/** `bt_signature` and `bt_payload`, each exactly once. */
function formFields(request: ProviderRequest): { signature: string; payload: string } {
  const fields: Record<string, string> = {}
  for (const [field, value] of formPairs(bodyText(request.body))) {
    if (field !== 'bt_signature' && field !== 'bt_payload') continue
    if (field in fields) throw new HookguardError('body.malformed', { reason: `form body has more than one ${field}` })
    fields[field] = value
  }
  const { bt_signature: signature, bt_payload: payload } = fields
  if (!signature) throw new HookguardError('signature.missing', { reason: 'form body has no bt_signature' })
  if (!payload || !PAYLOAD_RE.test(payload))
    throw new HookguardError('body.malformed', { reason: 'bt_payload is missing or not base64' })
  return { signature, payload }
}

/** The decoded MACs of the pairs signed under one of `accepted` public keys. */
function receivedMacs(signature: string, accepted: readonly string[]): Uint8Array[] {
  const pairs = signature.split('&', MAX_SIGNATURE_ENTRIES + 1)
  if (pairs.length > MAX_SIGNATURE_ENTRIES) throw malformedSignature('too many pairs in bt_signature')
  const received: Uint8Array[] = []
  for (const pair of pairs) {
    const bar = pair.indexOf('|')
    if (bar === -1 || !accepted.includes(pair.slice(0, bar))) continue
    const mac = decodeHex(pair.slice(bar + 1))
    if (!mac || mac.length !== 20) throw malformedSignature('bt_signature is not publicKey|40 lower-case hex digits')
    received.push(mac)
  }
  if (received.length === 0) throw invalidSignature('bt_signature has no pair for the configured public key')
  return received
}

/**
 * Braintree webhooks.
 *
 * @example
 * ```ts
 * const provider = braintree({
 *   publicKey: process.env.BRAINTREE_PUBLIC_KEY!,
 *   secret: process.env.BRAINTREE_PRIVATE_KEY!,
 * })
 * ```
 */
export function braintree(options: BraintreeOptions): Provider<BraintreeNotification> {
  const name = 'braintree'
  const accepted = publicKeys(requireOptions(name, options, '{ publicKey, secret }').publicKey)
  const opened = openProvider(name, options, { untimed: 'Braintree', secret: { decode: hmacKey, minBytes: 20 } })
  const scheme = hmacScheme(opened, 'sha1', true)
  const payloads = new WeakMap<ProviderRequest, string>()

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [],
    verify(request) {
      const { signature, payload } = formFields(request)
      const received = receivedMacs(signature, accepted)
      return withKeys(opened.keys, request, async (keys) => {
        let match = await hmacMatch(scheme, keys, [payload], received)
        if (match === -1) match = await hmacMatch(scheme, keys, [payload, '\n'], received)
        const verification = settle(scheme, match, received, {})
        payloads.set(request, payload)
        return verification
      })
    },
    parse: (request) => readNotification(payloads.get(request) ?? formFields(request).payload),
    async describe(payload) {
      const notification = payload as BraintreeNotification
      if (notification.kind === 'check') return { type: 'check', handshake: { status: 200, body: '' } }
      const digest = await opened.backend.digest('sha256', payloadXml(notification.payload))
      return { id: `sha256:${encodeHex(digest)}`, type: notification.kind }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      // As Braintree's SDK samples it: base64 of the XML plus a newline, signed with the newline.
      const payload = encodeBase64(new TextEncoder().encode(signBodyText(sign))) + '\n'
      const mac = await opened.backend.hmac('sha1', key!, [payload])
      const signature = `${accepted[0]}|${encodeHex(mac)}`
      return {
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign.headers },
        body: `bt_signature=${encodeURIComponent(signature)}&bt_payload=${encodeURIComponent(payload)}`,
      }
    },
  }
}
