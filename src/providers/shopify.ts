/**
 * Shopify: `X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 of the raw body keyed
 * by the app's client secret (API secret key). Shopify's newer Events
 * deliveries send the same headers without the `X-` prefix
 * (`Shopify-Hmac-Sha256`, `Shopify-Webhook-Id` …); both spellings are read,
 * and a request carrying both with different values is refused.
 *
 * Shopify signs no timestamp: the dedupe store is the only replay protection,
 * so keep `retentionMs` at least as long as you care about replays.
 *
 * - Dedupe id: `X-Shopify-Webhook-Id` by default. It names one delivery and
 *   stays the same on every retry of it, and it never merges two
 *   subscriptions or two topics that Shopify fired for one shop event.
 *   `dedupeBy: 'event'` uses `X-Shopify-Event-Id` instead, which Shopify's
 *   "ignore duplicates" guide recommends: it also collapses the copies that
 *   several subscriptions to one topic receive, which is only right when
 *   every subscription feeds the same handler.
 * - Type: `X-Shopify-Topic` (`orders/create` …).
 *
 * @module
 */
import { decodeBase64, encodeBase64 } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import {
  invalidSignature,
  matchHmac,
  parseJson,
  readHeader,
  resolveBackend,
  resolveSecrets,
  type ProviderOptions,
} from './shared.js'

export interface ShopifyOptions extends Omit<ProviderOptions, 'tolerance' | 'skipTimestampCheck'> {
  /**
   * Which header is the dedupe id: 'webhook' (`X-Shopify-Webhook-Id`, one per
   * delivery, stable across retries) or 'event' (`X-Shopify-Event-Id`, one per
   * shop event, shared by every subscription it reached). Default 'webhook'.
   */
  dedupeBy?: 'webhook' | 'event'
}

/** Reads `X-Shopify-<suffix>` or `Shopify-<suffix>`; both present must agree. */
function shopifyHeader(request: ProviderRequest, suffix: string): string | undefined {
  const classic = readHeader(request, `x-shopify-${suffix}`)
  const events = readHeader(request, `shopify-${suffix}`)
  if (classic !== undefined && events !== undefined && classic !== events) {
    throw new HookguardError('header.conflict', { reason: `x-shopify-${suffix} and shopify-${suffix} differ` })
  }
  return classic ?? events
}

/**
 * Shopify webhooks (classic and Events deliveries).
 *
 * @example
 * ```ts
 * const provider = shopify({ secret: process.env.SHOPIFY_API_SECRET! })
 * ```
 */
export function shopify(options: ShopifyOptions): Provider {
  const name = 'shopify'
  const raw = options as ProviderOptions & ShopifyOptions
  if (raw?.tolerance !== undefined || raw?.skipTimestampCheck !== undefined) {
    throw configError(
      'shopify: Shopify signs no timestamp, so tolerance cannot apply; replays are stopped by the dedupe store',
    )
  }
  const keys = resolveSecrets(name, options?.secret)
  const dedupeBy = options.dedupeBy ?? 'webhook'
  if (dedupeBy !== 'webhook' && dedupeBy !== 'event')
    throw configError(`shopify: dedupeBy must be 'webhook' or 'event' (got ${String(dedupeBy)})`)
  const backend = resolveBackend(options.crypto)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-shopify-hmac-sha256', 'shopify-hmac-sha256'],
    async verify(request) {
      const header = shopifyHeader(request, 'hmac-sha256')
      if (header === undefined || header.trim() === '')
        throw new HookguardError('signature.missing', { reason: 'header x-shopify-hmac-sha256 is missing' })
      const signature = decodeBase64(header)
      if (!signature || signature.length !== 32)
        throw new HookguardError('signature.malformed', {
          reason: 'x-shopify-hmac-sha256 is not the base64 of 32 bytes',
        })
      if (!(await matchHmac(backend, 'sha256', keys, [request.body], [signature]))) throw invalidSignature()
      const id = shopifyHeader(request, dedupeBy === 'event' ? 'event-id' : 'webhook-id')
      if (id === undefined || id === '') {
        throw new HookguardError('id.missing', {
          reason: `${dedupeBy === 'event' ? 'x-shopify-event-id' : 'x-shopify-webhook-id'} is missing`,
        })
      }
      const type = shopifyHeader(request, 'topic')
      return { id, type: type || undefined }
    },
    parse: (request) => parseJson(request.body),
    describe(_payload, _request, verification) {
      return { id: verification.id, type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const mac = await backend.hmac('sha256', keys[0]!, [sign.body])
      const id = sign.id ?? crypto.randomUUID()
      return {
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': 'orders/create',
          'x-shopify-shop-domain': 'example.myshopify.com',
          'x-shopify-api-version': '2025-10',
          ...sign.headers,
          'x-shopify-webhook-id': id,
          'x-shopify-event-id': id,
          'x-shopify-hmac-sha256': encodeBase64(mac),
        },
        body: sign.body,
      }
    },
  }
}
