/**
 * Zoom: `x-zm-signature: v0=<hex>`, HMAC-SHA256 keyed by the app's Secret
 * Token over `v0:{x-zm-request-timestamp}:{raw body}`; the timestamp is whole
 * seconds and is checked both ways.
 *
 * - `endpoint.url_validation` (sent when the URL is saved and every 72 hours)
 *   is verified like any delivery, then answered 200 with JSON
 *   `{ plainToken, encryptedToken }`, where `encryptedToken` is the hex
 *   HMAC-SHA256 of `plainToken` under the secret that verified the request.
 *   It is never enqueued.
 * - Type: the body's `event` (`meeting.started` …).
 * - Id: Zoom sends no event id, so the id is `sha256:` + the hex SHA-256 of
 *   the raw (signed) body. A retry resends the same body (`event_ts` is the
 *   event's time, not the attempt's), so retries dedupe; two different
 *   events never share a body.
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { bodyHashId, parseJson, record, stringField } from './kit/body.js'
import { readPrefixedHexSignature } from './kit/headers.js'
import { hmacMatch, matchedKey, settle } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type ProviderOptions } from './kit/setup.js'
import { signV0 } from './kit/sign.js'
import { readSignedTimestamp } from './kit/timestamp.js'

/** Options of {@link zoom}. `secret` is the app's Secret Token (not the deprecated Verification Token). */
export type ZoomOptions = ProviderOptions

const PREFIX = 'v0='

/**
 * Zoom webhooks (Marketplace apps' event subscriptions).
 *
 * @example
 * ```ts
 * const provider = zoom({ secret: process.env.ZOOM_WEBHOOK_SECRET_TOKEN! })
 * ```
 */
export function zoom(options: ZoomOptions): Provider {
  const name = 'zoom'
  const opened = openProvider(name, options)
  const { backend, tolerance, keys } = opened
  const scheme = hmacScheme(opened, 'sha256', false)
  // The URL-validation answer must use the secret that verified the request.
  const verifiedWith = new WeakMap<ProviderRequest, Uint8Array>()

  async function urlValidation(payload: unknown, request: ProviderRequest) {
    const plainToken = stringField(record(payload)?.payload, 'plainToken')
    const key = verifiedWith.get(request)
    if (plainToken === undefined || key === undefined)
      throw new HookguardError('body.malformed', { reason: 'endpoint.url_validation without payload.plainToken' })
    const encryptedToken = encodeHex(await backend.hmac('sha256', key, [plainToken]))
    const headers = { 'content-type': 'application/json; charset=utf-8' }
    return { status: 200, headers, body: JSON.stringify({ plainToken, encryptedToken }) }
  }

  return {
    name,
    tolerance,
    sensitiveHeaders: ['x-zm-signature'],
    verify(request) {
      const received = [readPrefixedHexSignature(request, 'x-zm-signature', PREFIX, 32)]
      const { text, seconds } = readSignedTimestamp(request, 'x-zm-request-timestamp', tolerance)
      return withKeys(keys, request, async (k) => {
        const match = await hmacMatch(scheme, k, [`v0:${text}:`, request.body], received)
        const verification = settle(scheme, match, received, { timestamp: seconds })
        verifiedWith.set(request, matchedKey(k, match))
        return verification
      })
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request) {
      const type = stringField(payload, 'event')
      if (type === 'endpoint.url_validation') return { type, handshake: await urlValidation(payload, request) }
      return { id: await bodyHashId(backend, request.body), type }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await keys.forSigning(sign)
      const headers = {
        timestamp: 'x-zm-request-timestamp',
        signature: 'x-zm-signature',
        contentType: 'application/json; charset=utf-8',
      }
      return signV0(backend, key!, sign, headers)
    },
  }
}
