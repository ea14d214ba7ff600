/**
 * Razorpay: `X-Razorpay-Signature`, the hex HMAC-SHA256 of the raw body
 * keyed by the webhook secret set in the Dashboard (not the API key
 * secret). No timestamp is signed.
 *
 * - Id: the `x-razorpay-event-id` header, which Razorpay keeps across
 *   retries. It is not signed, so the verified MAC is the fingerprint: a
 *   captured delivery resent under a fresh event id is still a duplicate.
 *   The body (with `created_at` and the entity snapshot) is unique per
 *   event. Without the header the id is `sha256:` + the hex SHA-256 of the
 *   body.
 * - Type: the body's `event` (`payment.captured` …).
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions, type Verification } from '../types/index.js'
import { bodyHashId, parseJson, stringField } from './kit/body.js'
import { readHeader, readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

function identify(request: ProviderRequest, verification: Verification): Verification {
  verification.id = readHeader(request, 'x-razorpay-event-id') || undefined
  return verification
}

/** Options of {@link razorpay}. `secret` is the webhook secret (Dashboard → Webhooks), not the API key secret. */
export type RazorpayOptions = UntimedProviderOptions

/**
 * Razorpay and RazorpayX webhooks.
 *
 * @example
 * ```ts
 * const provider = razorpay({ secret: process.env.RAZORPAY_WEBHOOK_SECRET! })
 * ```
 */
export function razorpay(options: RazorpayOptions): Provider {
  const name = 'razorpay'
  // The webhook secret is typed by the user in the Dashboard: under 8 bytes is refused as weak.
  const opened = openProvider(name, options, { untimed: 'Razorpay', secret: { minBytes: 8 } })
  const scheme = hmacScheme(opened, 'sha256', true)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-razorpay-signature'],
    verify(request) {
      const received = [readPrefixedHexSignature(request, 'x-razorpay-signature', '', 32)]
      // Signature first: an unsigned request learns nothing about its other headers.
      return withKeys(opened.keys, request, (keys) => {
        const verified = verifyHmac(scheme, keys, [request.body], received, {} as Verification)
        return verified instanceof Promise ? verified.then((v) => identify(request, v)) : identify(request, verified)
      })
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request, verification) {
      const id = verification.id ?? (await bodyHashId(opened.backend, request.body))
      return { id, type: stringField(payload, 'event') }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          'x-razorpay-event-id': sign.id ?? encodeHex(opened.backend.randomBytes(7)),
          'x-razorpay-signature': encodeHex(mac),
        },
        body: sign.body,
      }
    },
  }
}
