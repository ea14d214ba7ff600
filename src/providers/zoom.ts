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
 *   the raw body. A retry resends the same body (`event_ts` is the event's
 *   time, not the attempt's), so retries dedupe; two different events never
 *   share a body.
 *
 * @module
 */
import { constantTimeEqual, encodeHex } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import {
  bodyHashId,
  invalidSignature,
  parseJson,
  type ProviderOptions,
  readPrefixedHexSignature,
  readSignedTimestamp,
  resolveBackend,
  resolveSecrets,
  resolveTolerance,
  signV0,
  stringField,
} from './shared.js'

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
  const keys = resolveSecrets(name, options?.secret)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)
  // The URL-validation answer must use the secret that verified the request.
  const verifiedWith = new WeakMap<ProviderRequest, Uint8Array>()

  return {
    name,
    tolerance,
    sensitiveHeaders: ['x-zm-signature'],
    async verify(request) {
      const signature = readPrefixedHexSignature(request, 'x-zm-signature', PREFIX, 32)
      const { text: timestampText, seconds: timestamp } = readSignedTimestamp(
        request,
        'x-zm-request-timestamp',
        tolerance,
      )
      for (const key of keys) {
        const mac = await backend.hmac('sha256', key, [`v0:${timestampText}:`, request.body])
        if (constantTimeEqual(mac, signature)) {
          verifiedWith.set(request, key)
          return { timestamp }
        }
      }
      throw invalidSignature()
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request) {
      const type = stringField(payload, 'event')
      if (type === 'endpoint.url_validation') {
        const inner =
          typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>).payload : undefined
        const plainToken = stringField(inner, 'plainToken')
        const key = verifiedWith.get(request)
        if (plainToken === undefined || key === undefined)
          throw new HookguardError('body.malformed', { reason: 'endpoint.url_validation without payload.plainToken' })
        const encryptedToken = encodeHex(await backend.hmac('sha256', key, [plainToken]))
        return {
          type,
          handshake: {
            status: 200,
            headers: { 'content-type': 'application/json; charset=utf-8' },
            body: JSON.stringify({ plainToken, encryptedToken }),
          },
        }
      }
      return { id: await bodyHashId(backend, request.body), type }
    },
    [SIGN]: (sign: SignOptions) =>
      signV0(backend, keys[0]!, sign, {
        timestamp: 'x-zm-request-timestamp',
        signature: 'x-zm-signature',
        contentType: 'application/json; charset=utf-8',
      }),
  }
}
