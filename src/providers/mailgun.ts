/**
 * Mailgun: the signature travels inside the body. JSON webhooks carry
 * `signature: { timestamp, token, signature }`, where `signature` is the hex
 * HMAC-SHA256 of `timestamp + token` keyed by the HTTP webhook signing key.
 * Legacy form-encoded webhooks carry the same three fields at the top level.
 * The JSON signature object is found with a native byte search (no parse
 * of the unsigned body before the signature is checked, so a forged body
 * costs microseconds, not a parse); once the body is parsed, its top-level
 * `signature` must be the object that was verified, else 400.
 *
 * Mailgun's signature covers the timestamp and the token only, NOT the event
 * data. What stops a captured delivery from being replayed with other data
 * is the dedupe store: the token is the event id, and it is signed, so a
 * second delivery with the same token is a duplicate and its body is
 * ignored. Keep `retentionMs` at least twice the tolerance (the receiver
 * enforces that).
 *
 * Type: `event-data.event` (`delivered`, `failed` …) or the legacy `event`.
 *
 * @module
 */
import { decodeHex, encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { bodyFormPairs, parseForm, parseJson, record, stringField } from './kit/body.js'
import { malformedSignature } from './kit/fail.js'
import { isForm } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { firstObjectMember } from './kit/json-scan.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signBodyText, signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp } from './kit/timestamp.js'

/** Options of {@link mailgun}. `secret` is the HTTP webhook signing key. */
export type MailgunOptions = ProviderOptions

// Mailgun sends 50 hex-like characters; any visible ASCII up to 256 is taken.
const TOKEN_RE = /^[\x21-\x7e]{1,256}$/
const FIELDS = ['timestamp', 'token', 'signature'] as const

/** The three signature fields of a legacy form body; each at most once. */
function formFields(request: ProviderRequest): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const [name, value] of bodyFormPairs(request.body)) {
    if (!(FIELDS as readonly string[]).includes(name)) continue
    if (name in fields) throw malformedSignature(`form body has more than one ${name}`)
    fields[name] = value
  }
  return fields
}

/** `{ timestamp, token, signature }` as found in the body, strictly checked. */
function signatureFields(request: ProviderRequest) {
  const fields = isForm(request) ? formFields(request) : firstObjectMember(request.body, 'signature')
  if (fields === undefined) throw new HookguardError('signature.missing', { reason: 'body has no signature object' })
  const { timestamp: timestampText, token, signature: signatureText } = fields
  if (signatureText === undefined || signatureText === '')
    throw new HookguardError('signature.missing', { reason: 'signature.signature is missing' })
  if (typeof signatureText !== 'string') throw malformedSignature('signature.signature is not a string')
  const signature = decodeHex(signatureText)
  if (!signature || signature.length !== 32)
    throw malformedSignature('signature.signature is not 64 lower-case hex digits')
  if (timestampText !== undefined && typeof timestampText !== 'string')
    throw new HookguardError('timestamp.malformed', { reason: 'signature.timestamp is not a string' })
  const timestamp = parseTimestamp(timestampText, 'signature.timestamp')
  if (typeof token !== 'string' || !TOKEN_RE.test(token))
    throw malformedSignature('signature.token is missing or not visible ASCII')
  return { timestampText: timestampText!, timestamp, token, signature, signatureText }
}

/** After parsing: a JSON body's top-level `signature` must be the object that was verified. */
function checkVerifiedMember(
  payload: unknown,
  verified: { timestampText: string; token: string; signatureText: string },
) {
  const member = record(record(payload)?.signature)
  if (
    member?.timestamp !== verified.timestampText ||
    member.token !== verified.token ||
    member.signature !== verified.signatureText
  )
    throw new HookguardError('body.malformed', { reason: 'the top-level signature is not the one that was verified' })
}

/**
 * Mailgun webhooks (JSON, and the legacy form-encoded ones).
 *
 * @example
 * ```ts
 * const provider = mailgun({ secret: process.env.MAILGUN_WEBHOOK_SIGNING_KEY! })
 * ```
 */
export function mailgun(options: MailgunOptions): Provider {
  const name = 'mailgun'
  const opened = openProvider(name, options)
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)
  const verifiedFields = new WeakMap<ProviderRequest, ReturnType<typeof signatureFields>>()

  return {
    name,
    tolerance,
    sensitiveHeaders: [],
    verify(request) {
      const fields = signatureFields(request)
      const { timestampText, timestamp, token, signature } = fields
      checkTimestamp(timestamp, request.now, tolerance)
      verifiedFields.set(request, fields)
      const verification = { timestamp, id: token }
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, [timestampText, token], [signature], verification))
    },
    parse(request) {
      if (isForm(request)) return parseForm(request.body)
      const payload = parseJson(request.body)
      const verified = verifiedFields.get(request)
      if (verified) checkVerifiedMember(payload, verified)
      return payload
    },
    describe(payload, _request, verification) {
      const data = record(record(payload)?.['event-data'])
      return { id: verification.id, type: stringField(data, 'event') ?? stringField(payload, 'event') }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = String(signingTimestamp(sign))
      const token = sign.id ?? encodeHex(opened.backend.randomBytes(25))
      const [key] = await keys.forSigning(sign)
      const mac = encodeHex(await opened.backend.hmac('sha256', key!, [timestamp, token]))
      const payload = record(JSON.parse(signBodyText(sign)))
      if (!payload) throw new TypeError('hookguard: mailgun signRequest needs a JSON object body')
      return {
        headers: { 'content-type': 'application/json', ...sign.headers },
        body: JSON.stringify({ ...payload, signature: { timestamp, token, signature: mac } }),
      }
    },
  }
}
