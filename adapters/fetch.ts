/**
 * `hookguard/fetch`: a `(Request) => Promise<Response>` handler for Next.js
 * route handlers, Bun, Deno, Cloudflare Workers, Netlify and anything else
 * that speaks the Fetch API.
 *
 * Serverless platforms freeze or end the function once the response is
 * sent, so work left for the in-memory queue after the 2xx can be lost
 * there. Use `inline` (the handler runs before the response; a failure is a
 * 5xx the provider retries) or let `waitUntil` keep the worker alive.
 *
 * @example
 * ```ts
 * // app/api/webhooks/stripe/route.ts (Next.js): the handler runs before the 2xx.
 * import { stripe } from 'hookguard'
 * import { hookguard } from 'hookguard/fetch'
 *
 * export const POST = hookguard(
 *   { provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }) },
 *   { inline: async (event) => fulfil(event.payload) },
 * )
 * ```
 *
 * @module
 */
import {
  bodyTimeout,
  errorText,
  lingerOnClose,
  markKeptAlive,
  receive,
  resolveLogger,
  toReceiver,
  type BaseAdapterOptions,
  type LingeringRequest,
} from '../src/adapter-kit/index.js'
import { configError } from '../src/errors.js'
import { isReceiver, type Receiver, type ReceiverOptions, type ReceiverOrOptions } from '../src/receiver/index.js'
import type { HandleResult, Logger, PayloadOf, Provider, WebhookEvent } from '../src/types/index.js'

/** Keeps the function running until `promise` settles (Workers' `ctx.waitUntil`, Next.js `after`, Vercel's `waitUntil`). */
export type WaitUntil = (promise: Promise<unknown>) => void

/** Inline mode: your handler, run before the response. Throwing or returning `false` fails the delivery. */
export type FetchInlineHandler<T = unknown> = (event: WebhookEvent<T>, request: Request) => unknown

/** The second or third argument some runtimes pass (Workers' `ctx`, Netlify's `context`, Vercel Edge's `event`). */
export interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void
}

/** Options of the Fetch adapter. */
export interface FetchAdapterOptions<T = unknown> extends BaseAdapterOptions {
  /**
   * Inline mode, for serverless functions: after verifying and reserving the
   * event, run this handler before answering. The 2xx is sent only after it
   * succeeded (the key is completed); when it throws or returns `false` the
   * key is released and the answer is 500 `handler.failed`, so the provider
   * retries. No queue is involved. Keep it shorter than the receiver's
   * `leaseMs` and the provider's own timeout.
   * @default undefined (the event goes to the receiver's queue)
   */
  inline?: FetchInlineHandler<T>
  /**
   * Keeps an in-process queue's worker (the default memory queue) running
   * after the response: called with a promise that settles when the queue
   * is idle. Pass Next.js `after` or `waitUntil` from `@vercel/functions`;
   * `false` turns detection off. Without it, the adapter uses, in order, a
   * `waitUntil` on the call's third or second argument (Workers' `ctx`,
   * Netlify's `context`), then the platform request context that Next.js
   * `after()` itself uses on Vercel and Netlify. Ignored for queues whose
   * worker runs elsewhere (SQLite, BullMQ, PostgreSQL).
   * @default detected at call time
   */
  waitUntil?: WaitUntil | false
  /**
   * Where a failed inline handler's error is logged (`warn`/`error` with
   * `(fields, message)`, pino works), or `false`.
   * @default the receiver options' `logger` when you pass options, else the console
   */
  logger?: Logger | false
}

/** What `hookguard()` returns: callable as `(request)`, `(request, context)` or Workers' `(request, env, ctx)`. */
export type FetchHandler = (request: Request, envOrContext?: unknown, ctx?: unknown) => Promise<Response>

const WHERE = 'hookguard/fetch'

const CONSUMED_FIX =
  'the Request body was read before hookguard; pass hookguard the untouched Request (or request.clone())'

// The request context Next.js after() reads on Vercel and Netlify (next/src/server/after/builtin-request-context.ts).
const REQUEST_CONTEXTS = [Symbol.for('@next/request-context'), Symbol.for('@vercel/request-context')]

/** The result as a Fetch `Response`. */
function toResponse(result: HandleResult): Response {
  return new Response(result.body === '' ? null : result.body, { status: result.status, headers: result.headers })
}

function contextWaitUntil(candidate: unknown): WaitUntil | undefined {
  const context = candidate as Partial<WaitUntilContext> | null | undefined
  // Called as a method: Workers' ctx.waitUntil throws when detached from ctx.
  if (context && typeof context.waitUntil === 'function') return (promise) => context.waitUntil!(promise)
  return undefined
}

function platformWaitUntil(): WaitUntil | undefined {
  for (const symbol of REQUEST_CONTEXTS) {
    try {
      const holder = (globalThis as Record<symbol, { get?: () => unknown } | undefined>)[symbol]
      const found = contextWaitUntil(holder?.get?.())
      if (found) return found
    } catch {
      // A platform hook that throws is treated as absent.
    }
  }
  return undefined
}

function findWaitUntil(option: WaitUntil | false | undefined, args: unknown[]): WaitUntil | undefined {
  if (option === false) return undefined
  return option ?? contextWaitUntil(args[1]) ?? contextWaitUntil(args[0]) ?? platformWaitUntil()
}

function checkOptions<T>(options: FetchAdapterOptions<T>): void {
  const { inline, waitUntil } = options
  if (inline !== undefined && typeof inline !== 'function')
    throw configError(`${WHERE}: inline must be a function (event, request) => … run before the response`)
  if (waitUntil !== undefined && waitUntil !== false && typeof waitUntil !== 'function')
    throw configError(`${WHERE}: waitUntil must be a function (promise) => void, such as after from 'next/server'`)
  if (inline && typeof waitUntil === 'function')
    throw configError(`${WHERE}: pass inline or waitUntil, not both: an inline handler runs before the response`)
}

function loggerFor(receiverOrOptions: unknown, option: Logger | false | undefined): Logger {
  const fromReceiver = isReceiver(receiverOrOptions) ? undefined : (receiverOrOptions as ReceiverOptions).logger
  return resolveLogger(WHERE, option !== undefined ? option : fromReceiver)
}

/** The queue's `idle()` when its worker runs in this process (the memory queue), else undefined. */
function idleOf(receiver: Receiver<any>): (() => Promise<void>) | undefined {
  const queue = receiver.queue as { idle?: () => Promise<void> }
  return typeof queue.idle === 'function' ? () => queue.idle!() : undefined
}

/** Inline delivery that turns a throw into `false` (500, key released) and logs it. */
function inlineDeliver<T>(handler: FetchInlineHandler<T>, request: Request, logger: Logger) {
  return async (event: WebhookEvent<T>): Promise<unknown> => {
    try {
      return await handler(event, request)
    } catch (error) {
      logger.error(
        { provider: event.provider, key: event.key, error: errorText(error) },
        'inline handler failed; answered 500 so the sender retries',
      )
      return false
    }
  }
}

/**
 * Served by @hono/node-server, the second argument carries the Node request:
 * close after an early answer, lingering so a sender still writing can read it.
 */
function lingerOnNode(env: unknown, result: HandleResult): void {
  const incoming = (env as { incoming?: LingeringRequest } | undefined)?.incoming
  if (!incoming || typeof incoming.resume !== 'function' || !incoming.socket) return
  result.headers.connection = 'close'
  lingerOnClose(incoming)
}

/**
 * A Fetch handler that reads `request.body` under `maxBodyBytes` and
 * `bodyTimeoutMs`, for `export const POST = hookguard(...)` or
 * `export default { fetch: hookguard(...) }`.
 *
 * @example
 * ```ts
 * // Cloudflare Workers, Bun, Deno: the worker keeps running (waitUntil) until the handler is done.
 * import { github } from 'hookguard'
 * import { hookguard } from 'hookguard/fetch'
 *
 * export default {
 *   fetch: hookguard({
 *     provider: github({ secret: process.env.GITHUB_WEBHOOK_SECRET! }),
 *     handler: async (event) => console.log(event.type, event.id),
 *   }),
 * }
 * ```
 */
export function hookguard<P extends Provider = Provider, T = PayloadOf<P>>(
  receiverOrOptions: ReceiverOrOptions<P, T>,
  options: FetchAdapterOptions<T> = {},
): FetchHandler {
  const timeoutMs = bodyTimeout(WHERE, options)
  checkOptions(options)
  const receiver = toReceiver(WHERE, receiverOrOptions, options.inline !== undefined)
  const { inline } = options
  const logger = loggerFor(receiverOrOptions, options.logger)
  const idle = inline ? undefined : idleOf(receiver)

  return async function hookguardFetch(request, ...rest) {
    const keepAlive = idle ? findWaitUntil(options.waitUntil, rest) : undefined
    // Before handle(): the memory queue starts the handler inside enqueue.
    if (keepAlive) markKeptAlive(receiver.queue)
    const body = request.bodyUsed
      ? ({ kind: 'consumed', fix: CONSUMED_FIX } as const)
      : ({ kind: 'web', stream: request.body } as const)
    const input = { method: request.method, url: request.url, headers: request.headers, body }
    const deliver = inline ? inlineDeliver(inline, request, logger) : undefined
    const { result, unread } = await receive(receiver, input, { timeoutMs, deliver })
    if (keepAlive && idle) keepAlive(idle())
    if (unread) lingerOnNode(rest[0], result)
    return toResponse(result)
  }
}
