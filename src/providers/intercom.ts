/**
 * Intercom: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 of the raw body keyed by
 * the app's client secret. SHA-1 is what Intercom sends; HMAC-SHA1 is still
 * unforgeable without the key, but there is no SHA-256 variant to prefer.
 *
 * Intercom signs no timestamp: the dedupe store is the only replay
 * protection. Id: the notification's `id` (`notif_…`, in the signed body),
 * kept across retries; type: its `topic` (`conversation.user.created` …).
 * The `ping` topic sent when you save the URL is an ordinary event.
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { parseJson, stringField } from './kit/body.js'
import { readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

/** Options of {@link intercom}. `secret` is the app's client secret. */
export type IntercomOptions = UntimedProviderOptions

const PREFIX = 'sha1='

/**
 * Intercom webhooks.
 *
 * @example
 * ```ts
 * const provider = intercom({ secret: process.env.INTERCOM_CLIENT_SECRET! })
 * ```
 */
export function intercom(options: IntercomOptions): Provider {
  const name = 'intercom'
  const opened = openProvider(name, options, { untimed: 'Intercom' })
  const scheme = hmacScheme(opened, 'sha1', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-hub-signature'],
    verify(request) {
      const signature = readPrefixedHexSignature(request, 'x-hub-signature', PREFIX, 20)
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], [signature], {}))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'topic') }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha1', key!, [sign.body])
      return {
        headers: {
          'content-type': 'application/json',
          ...sign.headers,
          'x-hub-signature': `${PREFIX}${encodeHex(mac)}`,
        },
        body: sign.body,
      }
    },
  }
}
