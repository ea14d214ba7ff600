/**
 * Typeform: `Typeform-Signature: sha256=<base64>`, the HMAC-SHA256 of the
 * raw body keyed by the webhook's secret. No timestamp is signed.
 *
 * - Id: the body's `event_id`, covered by the signature; Typeform keeps it
 *   across retries.
 * - Type: `event_type` (`form_response`, `form_response_partial`).
 *
 * @module
 */
import { encodeBase64 } from '../crypto.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { parseJson, stringField } from './kit/body.js'
import { readBase64Signature } from './kit/base64-signature.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link typeform}. `secret` is the webhook's secret (set in Connect → Webhooks or the API). */
export type TypeformOptions = UntimedProviderOptions

const PREFIX = 'sha256='

/**
 * Typeform webhooks.
 *
 * @example
 * ```ts
 * const provider = typeform({ secret: process.env.TYPEFORM_WEBHOOK_SECRET! })
 * ```
 */
export function typeform(options: TypeformOptions): Provider {
  const name = 'typeform'
  // The secret is typed by the user: under 8 bytes is refused as weak.
  const opened = openProvider(name, options, { untimed: 'Typeform', secret: { minBytes: 8 } })
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['typeform-signature'],
    verify(request) {
      const received = [readBase64Signature(request, 'typeform-signature', 32, PREFIX)]
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'event_id'), type: stringField(payload, 'event_type') }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          'typeform-signature': PREFIX + encodeBase64(mac),
        },
        body: sign.body,
      }
    },
  }
}
