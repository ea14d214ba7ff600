/**
 * Vercel webhooks (account webhooks and integration webhooks): `x-vercel-signature:
 * <hex>`, HMAC-SHA1 of the raw body. The key is the webhook's secret (shown
 * once when the webhook is created) or, for an integration's webhooks, the
 * integration's Client Secret (as text). SHA-1 is what Vercel signs with;
 * no other algorithm is accepted.
 *
 * - No timestamp is signed in a header: `tolerance` is refused. The body's
 *   `createdAt` is signed but is the event's time, not the send time, so a
 *   retry would fail a window built on it.
 * - Id: the body's `id` (signed). Type: the body's `type`
 *   (`deployment.created`, `deployment.succeeded`, `project.created` …).
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

/** Options of {@link vercel}. `secret` is the webhook's secret, or the integration's Client Secret. */
export type VercelOptions = UntimedProviderOptions

/** The payload type of {@link vercel}: one webhook event. */
export interface VercelWebhook {
  id: string
  type: string
  createdAt: number
  payload: Record<string, unknown>
  region?: string | null
  [field: string]: unknown
}

const SIGNATURE = 'x-vercel-signature'

/**
 * Vercel webhooks.
 *
 * @example
 * ```ts
 * const provider = vercel({ secret: process.env.VERCEL_WEBHOOK_SECRET! })
 * ```
 */
export function vercel(options: VercelOptions): Provider<VercelWebhook> {
  const name = 'vercel'
  const opened = openProvider(name, options, { untimed: 'Vercel' })
  const scheme = hmacScheme(opened, 'sha1', false)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [SIGNATURE],
    verify(request) {
      const received = [readPrefixedHexSignature(request, SIGNATURE, '', 20)]
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      return { id: stringField(payload, 'id'), type: stringField(payload, 'type') }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha1', key!, [sign.body])
      return {
        headers: { 'content-type': 'application/json', ...sign.headers, [SIGNATURE]: encodeHex(mac) },
        body: sign.body,
      }
    },
  }
}
