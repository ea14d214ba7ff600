/**
 * Stripe: `Stripe-Signature: t=<seconds>,v1=<hex>[,v1=<hex>…][,v0=…]` over
 * `t.body`, keyed by the `whsec_…` string as UTF-8 text. The event id is the
 * body's `id`, so it is covered by the signature.
 *
 * @module
 */
import type Stripe from 'stripe'
import { decodeHex, encodeHex } from '../crypto.js'
import { SIGN, type OrderingOptions, type Provider, type SignOptions } from '../types/index.js'
import { parseJson, record, stringField } from './kit/body.js'
import { invalidSignature, malformedSignature, MAX_SIGNATURE_ENTRIES } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp } from './kit/timestamp.js'

/** Options of {@link stripe}. `secret` is the endpoint's signing secret (`whsec_…`). */
export type StripeOptions = ProviderOptions

/** The payload type of {@link stripe}: Stripe's own event union (types from the optional `stripe` package). */
export type StripeEvent = Stripe.Event

/** Stripe's event types → their events (`'invoice.paid'` → `Stripe.InvoicePaidEvent`), for handlers by type. */
export type StripeEvents = { [E in StripeEvent as E['type']]: E }

/** What {@link stripe} returns: named, so inferred types that mention it stay portable in declarations. */
export type StripeProvider = Provider<StripeEvent, StripeEvents>

/**
 * The ordering default: the object an event is about (`data.object.id`, such
 * as `pi_…`; ids carry their type's prefix, so they never collide across
 * types) and the event's `created` (seconds, so two events of one object in
 * the same second both run). Objects without an id (`balance.available`)
 * run unguarded.
 */
const ordering: OrderingOptions<StripeEvent> = {
  // Payload types are never checked at run time: read defensively.
  entity: (event) => stringField(record(record(event.payload)?.data)?.object, 'id'),
  version: (event) => {
    const created = record(event.payload)?.created
    return typeof created === 'number' ? created : undefined
  },
}

const KEY_RE = /^[a-z0-9]+$/

const malformedPairs = (): Error => malformedSignature('stripe-signature is not a list of key=value pairs')

/**
 * Reads a Stripe-Signature header: pushes each decoded `v1` onto `received`
 * and returns `t`. Scanned by hand, without split or a regex per pair: this
 * runs on every request (profiled).
 */
function parseHeader(header: string, received: Uint8Array[]): string {
  let timestampText: string | undefined
  let entries = 0
  for (let start = 0; start <= header.length;) {
    let end = header.indexOf(',', start)
    if (end === -1) end = header.length
    if (++entries > MAX_SIGNATURE_ENTRIES) throw malformedSignature('too many entries in stripe-signature')
    // key=value with a lower-case alphanumeric key and no second '='.
    const eq = header.indexOf('=', start)
    const second = eq === -1 ? -1 : header.indexOf('=', eq + 1)
    if (eq <= start || eq >= end || (second !== -1 && second < end)) throw malformedPairs()
    const keyLength = eq - start
    if (keyLength === 1 && header.charCodeAt(start) === 0x74) {
      // Two timestamps would let a forger pick which one we check.
      if (timestampText !== undefined) throw malformedSignature('stripe-signature has more than one t')
      timestampText = header.slice(eq + 1, end)
    } else if (keyLength === 2 && header.charCodeAt(start) === 0x76 && header.charCodeAt(start + 1) === 0x31) {
      const bytes = decodeHex(header.slice(eq + 1, end))
      if (bytes && bytes.length > 0) received.push(bytes)
    } else if (!KEY_RE.test(header.slice(start, eq))) throw malformedPairs()
    // v0 (test-mode legacy) and unknown schemes never count.
    start = end + 1
  }
  if (timestampText === undefined) throw malformedSignature('stripe-signature has no t')
  return timestampText
}

/**
 * Stripe webhooks and Connect webhooks. Event id and type come from the body.
 *
 * @example
 * ```ts
 * const provider = stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! })
 * // per tenant: stripe({ secret: async ({ headers }) => secrets.get(headers['x-tenant'] as string) })
 * ```
 */
export function stripe(options: StripeOptions): StripeProvider {
  const name = 'stripe'
  const opened = openProvider(name, options)
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['stripe-signature'],
    ordering,
    verify(request) {
      const received: Uint8Array[] = []
      const timestampText = parseHeader(requireSignatureHeader(request, 'stripe-signature'), received)
      const timestamp = parseTimestamp(timestampText, 'stripe-signature t')
      checkTimestamp(timestamp, request.now, tolerance)
      if (received.length === 0) throw invalidSignature('stripe-signature has no v1 signature')
      const pieces = [`${timestampText}.`, request.body]
      if (keys.fixed) return verifyHmac(scheme, keys.fixed, pieces, received, { timestamp })
      return withKeys(keys, request, (k) => verifyHmac(scheme, k, pieces, received, { timestamp }))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      const timestamp = signingTimestamp(sign)
      const [key] = await keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [`${timestamp}.`, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          'stripe-signature': `t=${timestamp},v1=${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
