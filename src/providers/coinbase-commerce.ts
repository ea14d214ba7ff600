/**
 * Coinbase Commerce: `X-CC-Webhook-Signature`, the hex HMAC-SHA256 of the
 * raw body keyed by the shared secret (Settings → Notifications). No
 * timestamp is signed.
 *
 * - Id: the body's `event.id`, covered by the signature. The top-level `id`
 *   and `attempt_number` change from one delivery attempt to the next; the
 *   event id does not, so retries are duplicates.
 * - Type: `event.type` (`charge:confirmed` …).
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { parseJson, record, stringField } from './kit/body.js'
import { readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link coinbaseCommerce}. `secret` is the webhook shared secret. */
export type CoinbaseCommerceOptions = UntimedProviderOptions

/**
 * Coinbase Commerce webhooks (charges, checkouts).
 *
 * @example
 * ```ts
 * const provider = coinbaseCommerce({ secret: process.env.COINBASE_COMMERCE_WEBHOOK_SECRET! })
 * ```
 */
export function coinbaseCommerce(options: CoinbaseCommerceOptions): Provider {
  const name = 'coinbase-commerce'
  const opened = openProvider(name, options, { untimed: 'Coinbase Commerce' })
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-cc-webhook-signature'],
    verify(request) {
      const received = [readPrefixedHexSignature(request, 'x-cc-webhook-signature', '', 32)]
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      const event = record(payload)?.event
      return { id: stringField(event, 'id'), type: stringField(event, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      return {
        headers: { 'content-type': 'application/json', ...sign.headers, 'x-cc-webhook-signature': encodeHex(mac) },
        body: sign.body,
      }
    },
  }
}
