/**
 * `hookguard/hono`: a Hono handler (or middleware, in inline mode).
 *
 * @example
 * ```ts
 * import { serve } from '@hono/node-server'
 * import { Hono } from 'hono'
 * import { stripe } from 'hookguard'
 * import { hookguard } from 'hookguard/hono'
 *
 * const app = new Hono()
 * app.post(
 *   '/webhooks/stripe',
 *   hookguard({
 *     provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *     handler: async (event) => console.log(event.type, event.id),
 *   }),
 * )
 * serve({ fetch: app.fetch, port: 3000 })
 * ```
 *
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import {
  bodyTimeout,
  flag,
  isNodeStreamConsumed,
  lingerOnClose,
  nodeHeaders,
  oneOf,
  readNodeStream,
  readWebStream,
  receive,
  resultToError,
  toReceiver,
  type BaseAdapterOptions,
  type LingeringRequest,
  type NodeReadableLike,
  type RawBodySource,
  type ReceiveInput,
} from '../src/adapter-kit/index.js'
import type { ReceiverOrOptions } from '../src/receiver/index.js'
import type { HandleResult, PayloadOf, Provider, WebhookEvent } from '../src/types/index.js'

/** Options of the Hono adapter. */
export interface HonoAdapterOptions extends BaseAdapterOptions {
  /**
   * Inline mode, for apps with their own queue: after verifying and
   * reserving the event, `c.set('webhook', event)` and `await next()`. The
   * dedupe key is completed when the next handler answers 2xx and released
   * when it answers anything else or throws.
   * @default false (the event goes to the receiver's queue)
   */
  inline?: boolean
  /**
   * `'respond'`: return hookguard's own response for every outcome.
   * `'throw'`: for non-2xx outcomes throw an `HTTPException` carrying that
   * response (and the HookguardError as `cause`) for your `app.onError`.
   * @default 'respond'
   */
  errors?: 'respond' | 'throw'
}

/** The context variables hookguard sets: `c.get('webhook')` in inline mode. */
export type HookguardEnv<T = unknown> = { Variables: { webhook: WebhookEvent<T> } }

const WHERE = 'hookguard/hono'

const CONSUMED_FIX =
  'the request body was read before hookguard through c.req.raw or a parser whose cache keeps no bytes. ' +
  'Mount hookguard first, or read the body in earlier middleware with c.req.arrayBuffer()/c.req.text() (Hono caches those)'

/** On @hono/node-server the Node request is at `c.env.incoming`: reading it directly spares building a full Fetch Request. */
type NodeIncoming = NodeReadableLike & LingeringRequest & { rawHeaders: string[] }

function incomingOf(c: Context): NodeIncoming | undefined {
  const incoming = (c.env as { incoming?: { rawHeaders?: unknown; on?: unknown } } | undefined)?.incoming
  return incoming && Array.isArray(incoming.rawHeaders) && typeof incoming.on === 'function'
    ? (incoming as NodeIncoming)
    : undefined
}

function keepForLater(c: Context, bytes: Uint8Array): Uint8Array {
  // Later handlers can still call c.req.arrayBuffer()/json()/text().
  const copy =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer
  ;(c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(copy)
  return bytes
}

function rawBody(c: Context, incoming: NodeReadableLike | undefined): RawBodySource {
  const cache = c.req.bodyCache
  // Hono caches bytes or text read through c.req; arrayBuffer() turns either back into the bytes.
  if (cache.arrayBuffer !== undefined || cache.blob !== undefined || cache.text !== undefined) {
    return { kind: 'read', read: async () => new Uint8Array(await c.req.arrayBuffer()) }
  }
  // A cached parse (json/formData) would have to be re-serialized: refused.
  if (Object.keys(cache).length > 0) return { kind: 'consumed', fix: CONSUMED_FIX }
  if (incoming) {
    if (isNodeStreamConsumed(incoming)) return { kind: 'consumed', fix: CONSUMED_FIX }
    return { kind: 'read', read: async (limits) => keepForLater(c, await readNodeStream(incoming, limits)) }
  }
  if (c.req.raw.bodyUsed) return { kind: 'consumed', fix: CONSUMED_FIX }
  // Streamed rather than c.req.arrayBuffer() so the byte limit and the deadline apply while reading.
  return { kind: 'read', read: async (limits) => keepForLater(c, await readWebStream(c.req.raw.body, limits)) }
}

function toResponse(result: HandleResult): Response {
  return new Response(result.body === '' ? null : result.body, { status: result.status, headers: result.headers })
}

function inputOf(c: Context, incoming: NodeIncoming | undefined): ReceiveInput {
  const headers = incoming ? nodeHeaders(incoming.rawHeaders) : c.req.raw.headers
  return { method: c.req.method, url: c.req.url, headers, body: rawBody(c, incoming) }
}

/**
 * A Hono handler for one webhook endpoint: `app.post(path, hookguard(...))`.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { github } from 'hookguard'
 * import { hookguard } from 'hookguard/hono'
 *
 * const app = new Hono()
 * // Inline mode: the next handler reads the verified event, and its 2xx completes the dedupe key.
 * const provider = github({ secret: process.env.GITHUB_WEBHOOK_SECRET! })
 * app.post('/webhooks/github', hookguard({ provider }, { inline: true }), (c) => {
 *   console.log(c.get('webhook').type)
 *   return c.body(null, 204)
 * })
 * export default app
 * ```
 */
export function hookguard<P extends Provider = Provider, T = PayloadOf<P>>(
  receiverOrOptions: ReceiverOrOptions<P, T>,
  options: HonoAdapterOptions = {},
): MiddlewareHandler<HookguardEnv<T>> {
  const receiver = toReceiver(WHERE, receiverOrOptions, options.inline === true)
  const timeoutMs = bodyTimeout(WHERE, options)
  const inline = flag(WHERE, 'inline', options.inline)
  const errors = oneOf(WHERE, 'errors', options.errors, ['respond', 'throw'], 'respond')

  return async function hookguardHono(c, next) {
    const deliver = inline
      ? async (event: WebhookEvent<T>): Promise<boolean> => {
          c.set('webhook', event)
          await next()
          // Hono turns a thrown handler error into c.error plus the onError response.
          return c.error === undefined && c.res.status >= 200 && c.res.status < 300
        }
      : undefined
    const incoming = incomingOf(c)
    const { result, delivered, unread } = await receive(receiver, inputOf(c, incoming), { timeoutMs, deliver })
    if (delivered) return
    if (unread && incoming) {
      // On @hono/node-server: close after the answer, lingering so a sender still writing can read it.
      result.headers.connection = 'close'
      lingerOnClose(incoming)
    }
    if (errors === 'throw' && (result.status < 200 || result.status >= 300)) {
      const error = resultToError(result)
      throw new HTTPException(result.status as ContentfulStatusCode, {
        res: toResponse(result),
        message: error.message,
        cause: error,
      })
    }
    return toResponse(result)
  }
}
