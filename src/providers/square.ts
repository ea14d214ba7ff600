/**
 * Square: `x-square-hmacsha256-signature`, base64 HMAC-SHA256 keyed by the
 * subscription's signature key over the notification URL followed by the raw
 * body. The legacy SHA-1 `x-square-signature` header is never used.
 *
 * The URL must be exactly the notification URL configured at Square: pass
 * `publicUrl` when the server sits behind a proxy (see {@link twilio}).
 * Square signs no timestamp: the dedupe store (keyed by the body's
 * `event_id`, which Square keeps across retries and which the signature
 * covers) is the only replay protection. Type: the body's `type`
 * (`payment.updated` …).
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from '../crypto.js'
import { configError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { parseJson, stringField } from './kit/body.js'
import { malformedSignature } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { checkPublicUrlOption, resolvePublicUrl, type PublicUrlOption } from './kit/public-url.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

export interface SquareOptions extends UntimedProviderOptions {
  /**
   * The notification URL exactly as configured at Square, or a function that
   * builds it per request.
   * @default the request's `url` when it is absolute; a relative one is refused with a 500 that names this option
   */
  publicUrl?: PublicUrlOption
}

/**
 * Square webhooks.
 *
 * @example
 * ```ts
 * const provider = square({ secret: process.env.SQUARE_SIGNATURE_KEY!, publicUrl: 'https://example.com/webhooks/square' })
 * ```
 */
export function square(options: SquareOptions): Provider {
  const name = 'square'
  const opened = openProvider(name, options, { untimed: 'Square' })
  const publicUrl = checkPublicUrlOption(name, options.publicUrl)
  const scheme = hmacScheme(opened, 'sha256', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-square-hmacsha256-signature', 'x-square-signature'],
    verify(request) {
      const signature = decodeBase64(requireSignatureHeader(request, 'x-square-hmacsha256-signature'))
      if (!signature || signature.length !== 32)
        throw malformedSignature('x-square-hmacsha256-signature is not the base64 of 32 bytes')
      const pieces = [resolvePublicUrl(name, publicUrl, request), request.body]
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, pieces, [signature], {}))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'event_id'), type: stringField(payload, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      // A fixed publicUrl is what verify() will use, so it is what gets signed.
      const url = typeof publicUrl === 'string' ? publicUrl : sign.url
      if (url === undefined) throw configError('square: signRequest needs a url (or a string publicUrl)')
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [url, sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          'x-square-hmacsha256-signature': encodeBase64(mac),
        },
        body: sign.body,
        url,
      }
    },
  }
}
