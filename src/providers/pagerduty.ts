/**
 * PagerDuty v3 webhooks (webhook subscriptions): `X-PagerDuty-Signature:
 * v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of the raw body keyed by the
 * subscription's secret (as text). During a secret rotation PagerDuty sends
 * one `v1` per active secret; any one matching a configured secret passes.
 *
 * - Entries of other versions are skipped; a `v1` that is not 64 lower-case
 *   hex digits is a 400 (PagerDuty sends nothing else); no `v1` is a 401.
 * - No timestamp is signed: `tolerance` is refused.
 * - Id: the body's `event.id` (signed; kept when PagerDuty retries for up to
 *   48 hours). Type: `event.event_type` (`incident.triggered`, `pagey.ping`
 *   when a subscription is pinged …).
 *
 * @module
 */
import { decodeHex, encodeHex } from '../crypto.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { parseJson, record, stringField } from './kit/body.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { signaturePairs } from './kit/pairs.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link pagerduty}. `secret` is the subscription's signing secret (returned when it is created); several during a rotation. */
export type PagerDutyOptions = UntimedProviderOptions

/** The payload type of {@link pagerduty}: one v3 event. */
export interface PagerDutyWebhook {
  event: {
    id: string
    event_type: string
    resource_type: string
    occurred_at: string
    data: unknown
    [field: string]: unknown
  }
}

const SIGNATURE = 'x-pagerduty-signature'

function readSignatures(request: ProviderRequest): Uint8Array[] {
  const received: Uint8Array[] = []
  for (const { key, value } of signaturePairs(requireSignatureHeader(request, SIGNATURE), SIGNATURE)) {
    if (key !== 'v1') continue
    const bytes = decodeHex(value)
    if (!bytes || bytes.length !== 32) throw malformedSignature(`a v1 in ${SIGNATURE} is not 64 lower-case hex digits`)
    received.push(bytes)
  }
  if (received.length === 0) throw invalidSignature(`${SIGNATURE} has no v1 signature`)
  return received
}

/**
 * PagerDuty v3 webhook subscriptions.
 *
 * @example
 * ```ts
 * const provider = pagerduty({ secret: process.env.PAGERDUTY_WEBHOOK_SECRET! })
 * ```
 */
export function pagerduty(options: PagerDutyOptions): Provider<PagerDutyWebhook> {
  const name = 'pagerduty'
  const opened = openProvider(name, options, { untimed: 'PagerDuty' })
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [SIGNATURE],
    verify(request) {
      const received = readSignatures(request)
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      const event = record(payload)?.event
      return { id: stringField(event, 'id'), type: stringField(event, 'event_type') }
    },
    async [SIGN](sign: SignOptions) {
      // One v1 per configured secret, as PagerDuty sends during a rotation.
      const keys = await opened.keys.forSigning(sign)
      const macs = await Promise.all(keys.map((key) => opened.backend.hmac('sha256', key, [sign.body])))
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          [SIGNATURE]: macs.map((mac) => `v1=${encodeHex(mac)}`).join(','),
        },
        body: sign.body,
      }
    },
  }
}
