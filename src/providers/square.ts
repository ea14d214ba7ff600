/**
 * Square: `x-square-hmacsha256-signature`, base64 HMAC-SHA256 keyed by the
 * subscription's signature key over the notification URL followed by the raw
 * body. The legacy SHA-1 `x-square-signature` header is never used.
 *
 * The URL must be exactly the notification URL configured at Square: pass
 * `publicUrl` when the server sits behind a proxy (see {@link twilio}).
 * Square signs no timestamp: the dedupe store (keyed by the body's
 * `event_id`, which Square keeps across retries) is the only replay
 * protection. Type: the body's `type` (`payment.updated` …).
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import {
  invalidSignature,
  matchHmac,
  parseJson,
  requireSignatureHeader,
  resolveBackend,
  resolveSecrets,
  stringField,
  type ProviderOptions,
} from './shared.js'
import { checkPublicUrlOption, resolvePublicUrl, type PublicUrlOption } from './twilio.js'

export interface SquareOptions extends Omit<ProviderOptions, 'tolerance' | 'skipTimestampCheck'> {
  /**
   * The notification URL exactly as configured at Square, or a function that
   * builds it per request. Default: the request's `url` when it is absolute;
   * a relative one is refused with a 500 that names this option.
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
  const raw = options as ProviderOptions & SquareOptions
  if (raw?.tolerance !== undefined || raw?.skipTimestampCheck !== undefined) {
    throw configError(
      'square: Square signs no timestamp, so tolerance cannot apply; replays are stopped by the dedupe store',
    )
  }
  const keys = resolveSecrets(name, options?.secret)
  const publicUrl = checkPublicUrlOption(name, options.publicUrl)
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-square-hmacsha256-signature', 'x-square-signature'],
    async verify(request) {
      const header = requireSignatureHeader(request, 'x-square-hmacsha256-signature')
      const signature = decodeBase64(header)
      if (!signature || signature.length !== 32)
        throw new HookguardError('signature.malformed', {
          reason: 'x-square-hmacsha256-signature is not the base64 of 32 bytes',
        })
      const url = resolvePublicUrl(name, publicUrl, request)
      if (!(await matchHmac(backend, 'sha256', keys, [url, request.body], [signature]))) throw invalidSignature()
      return {}
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'event_id'), type: stringField(payload, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      // A fixed publicUrl is what verify() will use, so it is what gets signed.
      const url = typeof publicUrl === 'string' ? publicUrl : sign.url
      if (url === undefined) throw configError('square: signRequest needs a url (or a string publicUrl)')
      const mac = await backend.hmac('sha256', keys[0]!, [url, sign.body])
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
