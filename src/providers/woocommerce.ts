/**
 * WooCommerce: `X-WC-Webhook-Signature`, the base64 HMAC-SHA256 of the raw
 * body keyed by the webhook's secret. No timestamp is signed.
 *
 * - Id: `X-WC-Webhook-Delivery-ID`, which is not signed and is a hash of the
 *   webhook id and the current second: two deliveries of one webhook in the
 *   same second share it. The verified MAC is therefore the fingerprint
 *   (the dedupe key): each webhook has its own secret and the body is the
 *   resource as it stood, so two events differ in their MAC, and a captured
 *   delivery resent under a fresh delivery id is a duplicate. Without the
 *   header the id is `sha256:` + the hex SHA-256 of the body.
 * - Type: `X-WC-Webhook-Topic` (`order.created` …).
 * - Handshake: when a webhook is saved, WooCommerce posts the form body
 *   `webhook_id=<n>` with no signature and expects a 200. Exactly that body
 *   without a signature header is answered 200 (empty body) and never
 *   queued; anything else unsigned is a 401.
 *
 * @module
 */
import { encodeBase64 } from '../crypto.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { bodyHashId, parseForm, parseJson } from './kit/body.js'
import { readBase64Signature } from './kit/base64-signature.js'
import { readHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link wooCommerce}. `secret` is the webhook's secret (WooCommerce → Settings → Advanced → Webhooks). */
export type WooCommerceOptions = UntimedProviderOptions

const SIGNATURE_HEADER = 'x-wc-webhook-signature'
/** The ping WooCommerce sends when a webhook is saved (`deliver_ping()`): exactly this, nothing more. */
const PING_RE = /^webhook_id=[0-9]{1,20}$/

function isPing(request: ProviderRequest): boolean {
  if (readHeader(request, SIGNATURE_HEADER) !== undefined) return false
  // 31 bytes is the longest ping; the test needs no decoding of a larger body.
  return request.body.length <= 31 && PING_RE.test(new TextDecoder().decode(request.body))
}

function identify(request: ProviderRequest, verification: Verification): Verification {
  verification.id = readHeader(request, 'x-wc-webhook-delivery-id') || undefined
  verification.type = readHeader(request, 'x-wc-webhook-topic') || undefined
  return verification
}

/**
 * WooCommerce webhooks (orders, products, customers, coupons, actions).
 *
 * @example
 * ```ts
 * const provider = wooCommerce({ secret: process.env.WOOCOMMERCE_WEBHOOK_SECRET! })
 * ```
 */
export function wooCommerce(options: WooCommerceOptions): Provider {
  const name = 'woocommerce'
  // Users may type their own secret (WooCommerce fills in a 50-character one): under 8 bytes is refused as weak.
  const opened = openProvider(name, options, { untimed: 'WooCommerce', secret: { minBytes: 8 } })
  const scheme = hmacScheme(opened, 'sha256', true)
  const pings = new WeakSet<ProviderRequest>()

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [SIGNATURE_HEADER],
    verify(request) {
      if (isPing(request)) {
        pings.add(request)
        return {}
      }
      const received = [readBase64Signature(request, SIGNATURE_HEADER, 32)]
      // Signature first: an unsigned request learns nothing about its other headers.
      return withKeys(opened.keys, request, (keys) => {
        const verified = verifyHmac(scheme, keys, [request.body], received, {} as Verification)
        return verified instanceof Promise ? verified.then((v) => identify(request, v)) : identify(request, verified)
      })
    },
    parse: (request) => (pings.has(request) ? parseForm(request.body) : parseJson(request.body)),
    async describe(_payload, request, verification) {
      if (pings.has(request)) return { type: 'ping', handshake: { status: 200, body: '' } }
      return { id: verification.id ?? (await bodyHashId(opened.backend, request.body)), type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          'x-wc-webhook-source': 'https://shop.example.com/',
          'x-wc-webhook-topic': 'order.created',
          'x-wc-webhook-resource': 'order',
          'x-wc-webhook-event': 'created',
          'x-wc-webhook-id': '1',
          ...sign.headers,
          'x-wc-webhook-delivery-id': sign.id ?? crypto.randomUUID().replace(/-/g, ''),
          [SIGNATURE_HEADER]: encodeBase64(mac),
        },
        body: sign.body,
      }
    },
  }
}
