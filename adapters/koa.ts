/**
 * `hookguard/koa`: Koa 2 and 3 middleware, for `app.use()` with a `path`
 * option or for a router (`router.post(path, hookguard(...))`).
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { stripe } from 'hookguard'
 * import { hookguard } from 'hookguard/koa'
 *
 * const app = new Koa()
 * const receiverOptions = {
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   handler: async (event: { type?: string; id: string }) => console.log(event.type, event.id),
 * }
 * app.use(hookguard(receiverOptions, { path: '/webhooks/stripe' }))
 * app.listen(3000)
 * ```
 *
 * @module
 */
import type { Context, Middleware, Next } from 'koa'
import {
  bodyTimeout,
  flag,
  isNodeStreamConsumed,
  lingerOnClose,
  nodeHeaders,
  oneOf,
  receive,
  resultToError,
  toReceiver,
  type BaseAdapterOptions,
  type NormalizedHeaders,
  type RawBodySource,
} from '../src/adapter-kit/index.js'
import { configError } from '../src/errors.js'
import type { ReceiverOrOptions } from '../src/receiver/index.js'
import type { HandleResult, PayloadOf, Provider, WebhookEvent } from '../src/types/index.js'

/** Options of the Koa adapter. */
export interface KoaAdapterOptions extends BaseAdapterOptions {
  /**
   * Only requests whose `ctx.path` equals this are handled; others pass to
   * `next()`. Leave it out when a router already matched the path.
   * @default undefined (every request that reaches the middleware)
   */
  path?: string
  /**
   * Inline mode, for apps with their own queue: after verifying and
   * reserving the event, set `ctx.state.webhook` and `await next()`. The
   * dedupe key is completed when the response status is 2xx afterwards and
   * released when it is not or when `next()` throws (the error propagates).
   * @default false (the event goes to the receiver's queue)
   */
  inline?: boolean
  /**
   * `'respond'`: set hookguard's status, headers and body for every outcome.
   * `'throw'`: for non-2xx outcomes throw a HookguardError (`status`,
   * `expose`, `headers`) for Koa's error handling.
   * @default 'respond'
   */
  errors?: 'respond' | 'throw'
}

/** `ctx.state` in inline mode. */
export interface HookguardState<T = unknown> {
  webhook: WebhookEvent<T>
}

const WHERE = 'hookguard/koa'

const CONSUMED_FIX =
  'a body parser read the request before hookguard. Mount hookguard before the body parser, ' +
  'or use one that keeps the raw body in ctx.request.rawBody (koa-bodyparser and @koa/bodyparser do)'

function rawBody(ctx: Context): RawBodySource {
  const kept = (ctx.request as { rawBody?: unknown }).rawBody
  if (kept instanceof Uint8Array) return { kind: 'bytes', bytes: kept }
  if (typeof kept === 'string') return { kind: 'bytes', bytes: new TextEncoder().encode(kept) }
  // A parsed ctx.request.body is never re-serialized: the signature covers the bytes as sent.
  if (isNodeStreamConsumed(ctx.req)) return { kind: 'consumed', fix: CONSUMED_FIX }
  return { kind: 'node', stream: ctx.req }
}

/**
 * The URL the sender targeted. Koa's `ctx.host` reads `req.headers`, which
 * Node builds for every header on first use; in the common case (proxy
 * headers not trusted, HTTP/1, one plain Host) the Host header hookguard
 * already read gives the same answer. Anything else goes through Koa's getters.
 */
function targetUrl(ctx: Context, headers: NormalizedHeaders): string {
  const host = headers.host
  if (
    !ctx.app.proxy &&
    ctx.req.httpVersionMajor < 2 &&
    typeof host === 'string' &&
    host !== '' &&
    !host.includes(',') &&
    !host.includes('@')
  ) {
    const scheme = (ctx.req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http'
    return `${scheme}://${host}${ctx.originalUrl}`
  }
  return `${ctx.protocol}://${ctx.host}${ctx.originalUrl}`
}

/** hookguard's answer on Koa's response. */
function respond(ctx: Context, result: HandleResult): void {
  if (result.body === '') {
    // Body first: Koa turns a null body set after the status into a 204 (Trello's HEAD check needs its 200).
    ctx.body = null
    ctx.status = result.status
    ctx.set(result.headers)
    return
  }
  // Headers first: with Content-Type already set, Koa's body setter skips guessing a type and setting it.
  // Straight to Node (what ctx.set ends in), minus its per-call arrays: these are hookguard's own valid names.
  if (!ctx.headerSent) for (const name in result.headers) ctx.res.setHeader(name, result.headers[name]!)
  ctx.body = result.body
  ctx.status = result.status
}

function checkPath(path: unknown): string | undefined {
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/')))
    throw configError(`${WHERE}: path must be a string starting with '/' (got ${String(path)})`)
  return path as string | undefined
}

/**
 * Koa middleware for one webhook endpoint.
 *
 * @example
 * ```ts
 * import Router from '@koa/router'
 * import Koa from 'koa'
 * import { github } from 'hookguard'
 * import { hookguard } from 'hookguard/koa'
 *
 * const router = new Router()
 * const provider = github({ secret: process.env.GITHUB_WEBHOOK_SECRET! })
 * router.post('/webhooks/github', hookguard({ provider, handler: async (event) => console.log(event.type, event.id) }))
 * new Koa().use(router.routes()).listen(3000)
 * ```
 */
export function hookguard<P extends Provider = Provider, T = PayloadOf<P>>(
  receiverOrOptions: ReceiverOrOptions<P, T>,
  options: KoaAdapterOptions = {},
): Middleware {
  const receiver = toReceiver(WHERE, receiverOrOptions, options.inline === true)
  const timeoutMs = bodyTimeout(WHERE, options)
  const inline = flag(WHERE, 'inline', options.inline)
  const errors = oneOf(WHERE, 'errors', options.errors, ['respond', 'throw'], 'respond')
  const path = checkPath(options.path)

  return async function hookguardKoa(ctx: Context, next: Next): Promise<void> {
    if (path !== undefined && ctx.path !== path) return next()
    const deliver = inline
      ? async (event: WebhookEvent<T>): Promise<boolean> => {
          ctx.state.webhook = event
          await next()
          return ctx.status >= 200 && ctx.status < 300
        }
      : undefined
    const headers = nodeHeaders(ctx.req.rawHeaders)
    const input = { method: ctx.method, url: targetUrl(ctx, headers), headers, body: rawBody(ctx) }
    const { result, delivered, unread } = await receive(receiver, input, { timeoutMs, deliver })
    if (delivered) return
    if (errors === 'throw' && (result.status < 200 || result.status >= 300)) {
      if (unread) lingerOnClose(ctx.req)
      throw resultToError(result, unread)
    }
    if (unread) {
      ctx.set('connection', 'close')
      lingerOnClose(ctx.req)
    }
    respond(ctx, result)
  }
}
