/**
 * Linear: `Linear-Signature`, hex HMAC-SHA256 of the raw body keyed by the
 * webhook's signing secret (as text).
 *
 * Freshness comes from the body's `webhookTimestamp` (milliseconds). It sits
 * inside the signed body, so it is read only after the signature matched,
 * and checked in both directions. The default tolerance is 60 seconds, the
 * window Linear's SDK applies.
 *
 * - Id: the `Linear-Delivery` header (one per delivery, kept on retries). It
 *   is not signed. No fingerprint is given: the signed body carries the
 *   dispatch time (`webhookTimestamp`), so a retry has another MAC, and
 *   keying on it would turn every retry into a new event. A captured
 *   delivery resent under a fresh `Linear-Delivery` passes only inside the
 *   tolerance (60 s by default).
 * - Type: `{type}.{action}` from the body (`Issue.create`), else the
 *   `Linear-Event` header.
 *
 * @module
 */
import { decodeHex, encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { parseJson, record, stringField } from './kit/body.js'
import { malformedSignature } from './kit/fail.js'
import { readHeader, requireIdHeader, requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signBodyText, signingTimestamp } from './kit/sign.js'
import { checkTimestamp } from './kit/timestamp.js'

/** Options of {@link linear}. `tolerance` defaults to 60 seconds here. */
export type LinearOptions = ProviderOptions

const DEFAULT_LINEAR_TOLERANCE = 60

/**
 * Signing helper: a JSON object body without `webhookTimestamp` gets one from
 * the signing clock, since the freshness check reads it from the body.
 * Bodies that already carry it are signed unchanged.
 */
function withWebhookTimestamp(sign: SignOptions): string | Uint8Array {
  let payload: Record<string, unknown> | undefined
  try {
    payload = record(JSON.parse(signBodyText(sign)))
  } catch {
    return sign.body
  }
  if (!payload || 'webhookTimestamp' in payload) return sign.body
  const ms = sign.timestamp !== undefined ? signingTimestamp(sign) * 1000 : (sign.now ?? Date.now)()
  return JSON.stringify({ ...payload, webhookTimestamp: ms })
}

/** After the MAC: id and type headers, then `webhookTimestamp` from the now-trusted body. */
function identify(request: ProviderRequest, tolerance: number | undefined, verification: Verification): Verification {
  verification.id = requireIdHeader(request, 'linear-delivery')
  verification.type = readHeader(request, 'linear-event') || undefined
  if (tolerance === undefined) return verification
  const ms = record(parseJson(request.body))?.webhookTimestamp
  if (ms === undefined) throw new HookguardError('timestamp.missing', { reason: 'body has no webhookTimestamp' })
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0)
    throw new HookguardError('timestamp.malformed', {
      reason: 'webhookTimestamp is not a whole number of milliseconds',
    })
  checkTimestamp(ms / 1000, request.now, tolerance)
  verification.timestamp = Math.floor(ms / 1000)
  return verification
}

/**
 * Linear webhooks.
 *
 * @example
 * ```ts
 * const provider = linear({ secret: process.env.LINEAR_WEBHOOK_SECRET! })
 * ```
 */
export function linear(options: LinearOptions): Provider {
  const name = 'linear'
  const opened = openProvider(name, options, { tolerance: DEFAULT_LINEAR_TOLERANCE })
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['linear-signature'],
    verify(request) {
      const signature = decodeHex(requireSignatureHeader(request, 'linear-signature'))
      if (!signature || signature.length !== 32)
        throw malformedSignature('linear-signature is not 64 lower-case hex digits')
      return withKeys(keys, request, (k) => {
        const verified = verifyHmac(scheme, k, [request.body], [signature], {})
        if (verified instanceof Promise) return verified.then((v) => identify(request, tolerance, v))
        return identify(request, tolerance, verified)
      })
    },
    parse: (request) => parseJson(request.body),
    describe(payload, _request, verification) {
      const kind = stringField(payload, 'type')
      const action = stringField(payload, 'action')
      const type = kind !== undefined ? (action !== undefined ? `${kind}.${action}` : kind) : verification.type
      return { id: verification.id, type }
    },
    async [SIGN](sign: SignOptions) {
      const body = withWebhookTimestamp(sign)
      const [key] = await keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [body])
      return {
        headers: {
          'content-type': 'application/json; charset=utf-8',
          ...sign.headers,
          'linear-delivery': sign.id ?? crypto.randomUUID(),
          'linear-signature': encodeHex(mac),
        },
        body,
      }
    },
  }
}
