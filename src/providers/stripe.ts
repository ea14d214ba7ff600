/**
 * Stripe: `Stripe-Signature: t=<seconds>,v1=<hex>[,v1=<hex>…][,v0=…]` over
 * `t.body`, keyed by the `whsec_…` string as UTF-8 text. The event id is the
 * body's `id`, so it is covered by the signature.
 *
 * @module
 */
import type Stripe from 'stripe'
import { decodeHex, encodeHex } from '../crypto.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { parseJson, stringField } from './kit/body.js'
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

const KEY_RE = /^[a-z0-9]+$/

/** `t` and the decoded `v1` entries of a Stripe-Signature header. */
function parseHeader(header: string): { timestampText: string; received: Uint8Array[] } {
  const pairs = header.split(',')
  if (pairs.length > MAX_SIGNATURE_ENTRIES) throw malformedSignature('too many entries in stripe-signature')
  let timestampText: string | undefined
  const received: Uint8Array[] = []
  for (const pair of pairs) {
    // key=value with a lower-case alphanumeric key and no second '=' (split by hand: a regex per pair showed in profiles).
    const eq = pair.indexOf('=')
    const key = eq > 0 ? pair.slice(0, eq) : ''
    if ((key !== 't' && key !== 'v1' && !KEY_RE.test(key)) || pair.indexOf('=', eq + 1) !== -1)
      throw malformedSignature('stripe-signature is not a list of key=value pairs')
    if (key === 't') {
      // Two timestamps would let a forger pick which one we check.
      if (timestampText !== undefined) throw malformedSignature('stripe-signature has more than one t')
      timestampText = pair.slice(eq + 1)
    } else if (key === 'v1') {
      const bytes = decodeHex(pair.slice(eq + 1))
      if (bytes && bytes.length > 0) received.push(bytes)
    }
    // v0 (test-mode legacy) and unknown schemes never count.
  }
  if (timestampText === undefined) throw malformedSignature('stripe-signature has no t')
  return { timestampText, received }
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
export function stripe(options: StripeOptions): Provider<StripeEvent> {
  const name = 'stripe'
  const opened = openProvider(name, options)
  const { tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance,
    sensitiveHeaders: ['stripe-signature'],
    verify(request) {
      const { timestampText, received } = parseHeader(requireSignatureHeader(request, 'stripe-signature'))
      const timestamp = parseTimestamp(timestampText, 'stripe-signature t')
      checkTimestamp(timestamp, request.now, tolerance)
      if (received.length === 0) throw invalidSignature('stripe-signature has no v1 signature')
      const pieces = [`${timestampText}.`, request.body]
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
