/**
 * Mailgun: the signature travels inside the body. JSON webhooks carry
 * `signature: { timestamp, token, signature }`, where `signature` is the hex
 * HMAC-SHA256 of `timestamp + token` keyed by the HTTP webhook signing key.
 * Legacy form-encoded webhooks carry the same three fields at the top level.
 *
 * Mailgun's signature covers the timestamp and the token only, NOT the event
 * data. What stops a captured delivery from being replayed with other data
 * is the dedupe store: the token is the event id, so a second delivery with
 * the same token is a duplicate and its body is ignored. Keep `retentionMs`
 * at least twice the tolerance (the receiver enforces that).
 *
 * Type: `event-data.event` (`delivered`, `failed` …) or the legacy `event`.
 *
 * @module
 */
import { decodeHex, encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import {
  checkTimestamp,
  invalidSignature,
  matchHmac,
  parseForm,
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

/** Options of {@link mailgun}. `secret` is the HTTP webhook signing key. */
export type MailgunOptions = ProviderOptions

function isForm(request: ProviderRequest): boolean {
  const type = readHeader(request, 'content-type')
  return type !== undefined && type.toLowerCase().startsWith('application/x-www-form-urlencoded')
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

// Mailgun sends 50 hex-like characters; any visible ASCII up to 256 is taken.
const TOKEN_RE = /^[\x21-\x7e]{1,256}$/

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
  const keys = resolveSecrets(name, options?.secret)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)
  const parse = (request: ProviderRequest): unknown =>
    isForm(request) ? parseForm(request.body) : parseJson(request.body)

  return {
    name,
    tolerance,
    sensitiveHeaders: [],
    async verify(request) {
      const payload = record(parse(request))
      const fields = isForm(request) ? payload : record(payload?.signature)
      if (fields === undefined)
        throw new HookguardError('signature.missing', { reason: 'body has no signature object' })
      const { timestamp: timestampText, token, signature: signatureText } = fields
      if (signatureText === undefined || signatureText === '')
        throw new HookguardError('signature.missing', { reason: 'signature.signature is missing' })
      if (typeof signatureText !== 'string')
        throw new HookguardError('signature.malformed', { reason: 'signature.signature is not a string' })
      const signature = decodeHex(signatureText)
      if (!signature || signature.length !== 32)
        throw new HookguardError('signature.malformed', { reason: 'signature.signature is not 64 hex digits' })
      if (timestampText !== undefined && typeof timestampText !== 'string')
        throw new HookguardError('timestamp.malformed', { reason: 'signature.timestamp is not a string' })
      const timestamp = parseTimestamp(timestampText, 'signature.timestamp')
      if (typeof token !== 'string' || !TOKEN_RE.test(token))
        throw new HookguardError('signature.malformed', { reason: 'signature.token is missing or not visible ASCII' })
      checkTimestamp(timestamp, request.now, tolerance)
      if (!(await matchHmac(backend, 'sha256', keys, [timestampText!, token], [signature]))) throw invalidSignature()
      return { timestamp, id: token }
    },
    parse,
    describe(payload, _request, verification) {
      const data = record(record(payload)?.['event-data'])
      return { id: verification.id, type: stringField(data, 'event') ?? stringField(payload, 'event') }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = String(signingTimestamp(sign))
      const token = sign.id ?? encodeHex(backend.randomBytes(25))
      const mac = encodeHex(await backend.hmac('sha256', keys[0]!, [timestamp, token]))
      const text = typeof sign.body === 'string' ? sign.body : new TextDecoder().decode(sign.body)
      const payload = record(JSON.parse(text))
      if (!payload) throw new TypeError('hookguard: mailgun signRequest needs a JSON object body')
      return {
        headers: { 'content-type': 'application/json', ...sign.headers },
        body: JSON.stringify({ ...payload, signature: { timestamp, token, signature: mac } }),
      }
    },
  }
}
