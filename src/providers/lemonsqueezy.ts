/**
 * Lemon Squeezy: `X-Signature`, the hex HMAC-SHA256 of the raw body keyed
 * by the webhook's signing secret. No timestamp is signed.
 *
 * - Id: Lemon Squeezy sends no event id (`data.id` names the order or
 *   subscription, shared by all its events; `meta.webhook_id` names the
 *   webhook). The id is `sha256:` + the hex SHA-256 of the raw body, which
 *   the signature covers: a retry resends the same body and is a duplicate,
 *   two events differ in `meta.event_name` or in the resource's attributes.
 * - Type: the body's `meta.event_name` (signed), else the `X-Event-Name`
 *   header.
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { bodyHashId, parseJson, record, stringField } from './kit/body.js'
import { readHeader, readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'
import { signBodyText } from './kit/sign.js'

/** Options of {@link lemonSqueezy}. `secret` is the webhook's signing secret. */
export type LemonSqueezyOptions = UntimedProviderOptions

function eventName(payload: unknown): string | undefined {
  return stringField(record(payload)?.meta, 'event_name')
}

/**
 * Lemon Squeezy webhooks (orders, subscriptions, license keys …).
 *
 * @example
 * ```ts
 * const provider = lemonSqueezy({ secret: process.env.LEMONSQUEEZY_WEBHOOK_SECRET! })
 * ```
 */
export function lemonSqueezy(options: LemonSqueezyOptions): Provider {
  const name = 'lemonsqueezy'
  // Lemon Squeezy lets users type the secret ("normally 6 to 40 characters"): under 8 is refused as weak.
  const opened = openProvider(name, options, { untimed: 'Lemon Squeezy', secret: { minBytes: 8 } })
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-signature'],
    verify(request) {
      const received = [readPrefixedHexSignature(request, 'x-signature', '', 32)]
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request) {
      const type = eventName(payload) ?? (readHeader(request, 'x-event-name') || undefined)
      return { id: await bodyHashId(opened.backend, request.body), type }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      let type = 'order_created'
      try {
        type = eventName(JSON.parse(signBodyText(sign))) ?? type
      } catch {
        // Not JSON: the default event name goes in the header.
      }
      return {
        headers: {
          'content-type': 'application/json',
          'x-event-name': type,
          ...sign.headers,
          'x-signature': encodeHex(mac),
        },
        body: sign.body,
      }
    },
  }
}
