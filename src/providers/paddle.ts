/**
 * Paddle Billing: `Paddle-Signature: ts=<seconds>;h1=<hex>[;h1=<hex>…]`,
 * HMAC-SHA256 keyed by the notification destination's secret key
 * (`pdl_ntfset_…`, used as text) over `{ts}:{raw body}`. Every `h1` is tried,
 * so a delivery signed during a secret rotation passes with either key.
 *
 * Event id from the body's `event_id` (signed), type from `event_type`.
 * Paddle's own SDK allows only 5 seconds of age and no check of future
 * timestamps; the default here is 300 seconds both ways (set `tolerance: 5`
 * to match it).
 *
 * @module
 */
import { decodeHex, encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type OrderingOptions, type Provider, type SignOptions } from '../types/index.js'
import { parseJson, record, stringField } from './kit/body.js'
import { invalidSignature, malformedSignature, MAX_SIGNATURE_ENTRIES } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp } from './kit/timestamp.js'

/** Options of {@link paddle}. `secret` is the notification destination's secret key. */
export type PaddleOptions = ProviderOptions

const PAIR_RE = /^([a-z0-9]+)=([^;=]*)$/

function parseHeader(header: string): { timestampText: string; received: Uint8Array[] } {
  const pairs = header.split(';')
  if (pairs.length > MAX_SIGNATURE_ENTRIES) throw malformedSignature('too many entries in paddle-signature')
  let timestampText: string | undefined
  const received: Uint8Array[] = []
  for (const pair of pairs) {
    const match = PAIR_RE.exec(pair)
    if (!match) throw malformedSignature('paddle-signature is not a list of key=value pairs')
    const [, key, value] = match as unknown as [string, string, string]
    if (key === 'ts') {
      // Two timestamps would let a forger pick which one we check.
      if (timestampText !== undefined) throw malformedSignature('paddle-signature has more than one ts')
      timestampText = value
    } else if (key === 'h1') {
      const bytes = decodeHex(value)
      if (!bytes || bytes.length !== 32) throw malformedSignature('paddle-signature h1 is not 64 lower-case hex digits')
      received.push(bytes)
    }
    // Unknown schemes are ignored so Paddle can add one without breaking receivers.
  }
  if (timestampText === undefined)
    throw new HookguardError('timestamp.missing', { reason: 'paddle-signature has no ts' })
  return { timestampText, received }
}

/**
 * The ordering default: the entity in `data` (`sub_…`, `txn_…`; ids carry
 * their type's prefix) and the event's `occurred_at` (RFC 3339 with
 * microseconds, compared to the millisecond).
 */
const ordering: OrderingOptions = {
  entity: (event) => stringField(record(event.payload)?.data, 'id'),
  version: (event) => stringField(event.payload, 'occurred_at'),
}

/**
 * Paddle Billing notifications (not Paddle Classic, which signs with RSA).
 *
 * @example
 * ```ts
 * const provider = paddle({ secret: process.env.PADDLE_WEBHOOK_SECRET! })
 * ```
 */
export function paddle(options: PaddleOptions): Provider {
  const name = 'paddle'
  const opened = openProvider(name, options)
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['paddle-signature'],
    ordering,
    verify(request) {
      const { timestampText, received } = parseHeader(requireSignatureHeader(request, 'paddle-signature'))
      const timestamp = parseTimestamp(timestampText, 'paddle-signature ts')
      checkTimestamp(timestamp, request.now, tolerance)
      if (received.length === 0) throw invalidSignature('paddle-signature has no h1 signature')
      const pieces = [`${timestampText}:`, request.body]
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, pieces, received, { timestamp }))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'event_id'), type: stringField(payload, 'event_type') }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = signingTimestamp(sign)
      const [key] = await keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [`${timestamp}:`, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          'paddle-signature': `ts=${timestamp};h1=${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
