/**
 * Shopify: `X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 of the raw body keyed
 * by the app's client secret (API secret key). Shopify's newer Events
 * deliveries send the same headers without the `X-` prefix
 * (`Shopify-Hmac-Sha256`, `Shopify-Webhook-Id` …); both spellings are read,
 * and a request carrying both with different values is refused.
 *
 * Shopify signs no timestamp, and its ids travel in unsigned headers: the
 * dedupe store is the only replay protection, so keep `retentionMs` at least
 * as long as you care about replays. No fingerprint is given: Shopify can
 * send byte-identical bodies for distinct events (`products/create` and
 * `products/update` for one save, several topics for one order), so the MAC
 * does not tell events apart, and a delivery resent under a fresh
 * `X-Shopify-Webhook-Id` is not recognised as a duplicate.
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
import { SIGN, type OrderingOptions, type Provider, type ProviderRequest, type SignOptions } from '../types/index.js'
import { parseJson, record, stringField } from './kit/body.js'
import { malformedSignature } from './kit/fail.js'
import { eitherHeader } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys } from './kit/keys.js'
import { hmacScheme, openProvider, type UntimedProviderOptions } from './kit/setup.js'

export interface ShopifyOptions extends UntimedProviderOptions {
  /**
   * Which header is the dedupe id: 'webhook' (`X-Shopify-Webhook-Id`, one per
   * delivery, stable across retries) or 'event' (`X-Shopify-Event-Id`, one per
   * shop event, shared by every subscription it reached).
   * @default 'webhook'
   */
  dedupeBy?: 'webhook' | 'event'
}

/** Reads `X-Shopify-<suffix>` or `Shopify-<suffix>`; both present must agree. */
function shopifyHeader(request: ProviderRequest, suffix: string): string | undefined {
  return eitherHeader(request, `x-shopify-${suffix}`, `shopify-${suffix}`)
}

function readSignature(request: ProviderRequest): Uint8Array {
  const header = shopifyHeader(request, 'hmac-sha256')
  if (header === undefined || header.trim() === '')
    throw new HookguardError('signature.missing', { reason: 'header x-shopify-hmac-sha256 is missing' })
  const signature = decodeBase64(header)
  if (!signature || signature.length !== 32)
    throw malformedSignature('x-shopify-hmac-sha256 is not the base64 of 32 bytes')
  return signature
}

/**
 * The resource a payload is (`gid://shopify/Order/820982911946154508`): its
 * `admin_graphql_api_id`, else the topic's resource and the numeric `id`
 * (`orders/820982911946154508`), which stays apart from other resources' ids.
 */
function shopifyEntity(payload: unknown, topic: string | undefined): string | undefined {
  const gid = stringField(payload, 'admin_graphql_api_id')
  if (gid !== undefined) return gid
  const id = record(payload)?.id
  const resource = topic?.split('/')[0]
  if (!resource || (typeof id !== 'number' && (typeof id !== 'string' || id === ''))) return undefined
  return `${resource}/${id}`
}

/**
 * The ordering default: the resource the payload is, and when Shopify
 * triggered the event (`X-Shopify-Triggered-At`, kept on retries), else the
 * payload's `updated_at`.
 */
const ordering: OrderingOptions = {
  entity: (event) => shopifyEntity(event.payload, event.type),
  version: (event) =>
    event.headers['x-shopify-triggered-at'] ||
    event.headers['shopify-triggered-at'] ||
    stringField(event.payload, 'updated_at'),
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
  const opened = openProvider(name, options, { untimed: 'Shopify' })
  const dedupeBy = options.dedupeBy ?? 'webhook'
  if (dedupeBy !== 'webhook' && dedupeBy !== 'event')
    throw configError(`shopify: dedupeBy must be 'webhook' or 'event' (got ${String(dedupeBy)})`)
  const scheme = hmacScheme(opened, 'sha256', false)

  function identify<T extends { id?: string; type?: string }>(request: ProviderRequest, verification: T): T {
    const id = shopifyHeader(request, dedupeBy === 'event' ? 'event-id' : 'webhook-id')
    if (id === undefined || id === '') {
      const header = dedupeBy === 'event' ? 'x-shopify-event-id' : 'x-shopify-webhook-id'
      throw new HookguardError('id.missing', { reason: `${header} is missing` })
    }
    verification.id = id
    verification.type = shopifyHeader(request, 'topic') || undefined
    return verification
  }

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-shopify-hmac-sha256', 'shopify-hmac-sha256'],
    ordering,
    verify(request) {
      const received = [readSignature(request)]
      return withKeys(opened.keys, request, (keys) => {
        const verified = verifyHmac(scheme, keys, [request.body], received, {})
        return verified instanceof Promise ? verified.then((v) => identify(request, v)) : identify(request, verified)
      })
    },
    parse: (request) => parseJson(request.body),
    describe(_payload, _request, verification) {
      return { id: verification.id, type: verification.type }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
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
