/**
 * Intercom: `X-Hub-Signature: sha1=<hex>`, HMAC-SHA1 of the raw body keyed by
 * the app's client secret. SHA-1 is what Intercom sends; HMAC-SHA1 is still
 * unforgeable without the key, but there is no SHA-256 variant to prefer.
 *
 * Intercom signs no timestamp: the dedupe store is the only replay
 * protection. Id: the notification's `id` (`notif_…`), kept across retries;
 * type: its `topic` (`conversation.user.created` …). The `ping` topic sent
 * when you save the URL is an ordinary event.
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { configError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import {
  invalidSignature,
  matchHmac,
  parseJson,
  type ProviderOptions,
  readPrefixedHexSignature,
  resolveBackend,
  resolveSecrets,
  stringField,
} from './shared.js'

/** Options of {@link intercom}. `secret` is the app's client secret. */
export type IntercomOptions = Omit<ProviderOptions, 'tolerance' | 'skipTimestampCheck'>

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
  const raw = options as ProviderOptions
  if (raw?.tolerance !== undefined || raw?.skipTimestampCheck !== undefined) {
    throw configError(
      'intercom: Intercom signs no timestamp, so tolerance cannot apply; replays are stopped by the dedupe store',
    )
  }
  const keys = resolveSecrets(name, options?.secret)
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-hub-signature'],
    async verify(request) {
      const signature = readPrefixedHexSignature(request, 'x-hub-signature', PREFIX, 20)
      if (!(await matchHmac(backend, 'sha1', keys, [request.body], [signature]))) throw invalidSignature()
      return {}
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'topic') }
    },
    async [SIGN](sign: SignOptions) {
      const mac = await backend.hmac('sha1', keys[0]!, [sign.body])
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
