/**
 * `hookguard/fastify`: a Fastify 4 and 5 plugin that adds one webhook route.
 *
 * The plugin is encapsulated (not wrapped in fastify-plugin): inside it every
 * content-type parser is replaced by one that leaves the body unread, so the
 * signature is checked over the exact bytes while the app's own parsers keep
 * working everywhere else.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { stripe } from 'hookguard'
 * import { hookguard } from 'hookguard/fastify'
 *
 * const app = Fastify()
 * await app.register(
 *   hookguard(
 *     {
 *       provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *       handler: async (event) => console.log(event.type, event.id),
 *     },
 *     { path: '/webhooks/stripe' },
 *   ),
 * )
 * await app.listen({ port: 3000 })
 * ```
 *
 * @module
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import {
  bodyTimeout,
  isNodeStreamConsumed,
  lingerOnClose,
  nodeHeaders,
  oneOf,
  receive,
  resultToError,
  toReceiver,
  type BaseAdapterOptions,
  type NodeReadableLike,
  type RawBodySource,
} from '../src/adapter-kit/index.js'
import { configError } from '../src/errors.js'
import type { ReceiverOrOptions } from '../src/receiver/index.js'
import type { HandleResult, PayloadOf, Provider, WebhookEvent } from '../src/types/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Inline mode: the verified event, set by hookguard before your `inline` handler runs. */
    webhook?: WebhookEvent
  }
}

/** Your route handler in inline mode: `request.webhook` holds the verified event. */
export type FastifyInlineHandler = (request: FastifyRequest, reply: FastifyReply) => unknown

/** Options of the Fastify adapter. */
export interface FastifyAdapterOptions extends BaseAdapterOptions {
  /** The webhook route, relative to the plugin's prefix. Every method reaches it; only POST is accepted. */
  path: string
  /**
   * Inline mode, for apps with their own queue: after verifying and
   * reserving the event, set `request.webhook` and run this handler on the
   * route. The dedupe key is completed when the reply is 2xx and released
   * when it is not, when the handler throws (the error goes to Fastify's
   * error handler), or when the connection closes first.
   * @default undefined (the event goes to the receiver's queue)
   */
  inline?: FastifyInlineHandler
  /**
   * `'respond'`: send hookguard's own response for every outcome.
   * `'throw'`: for non-2xx outcomes throw a HookguardError (`status`,
   * `statusCode`, `expose`, `headers`) for Fastify's error handler, which
   * applies its `headers` (`Allow`, `Retry-After`).
   * @default 'respond'
   */
  errors?: 'respond' | 'throw'
}

const WHERE = 'hookguard/fastify'

const CONSUMED_FIX =
  'the request body was read before hookguard (a preParsing hook or a parser outside the plugin). ' +
  'Register hookguard as its own plugin, await app.register(hookguard(receiver, { path })), and let no hook read the body'

function checkOptions(options: FastifyAdapterOptions): { path: string; inline: FastifyInlineHandler | undefined } {
  if (!options || typeof options !== 'object')
    throw configError(`${WHERE}: pass options with the route, e.g. hookguard(receiver, { path: '/webhooks/stripe' })`)
  const { path, inline } = options
  if (typeof path !== 'string' || !path.startsWith('/'))
    throw configError(`${WHERE}: path must be a string starting with '/' (got ${String(path)})`)
  if (inline !== undefined && typeof inline !== 'function')
    throw configError(`${WHERE}: inline must be a route handler (request, reply) => … (got ${typeof inline})`)
  return { path, inline }
}

/** Resolves true when the reply finished with a 2xx, false when it did not or the connection closed first. */
function answeredOk(reply: FastifyReply): Promise<boolean> {
  const res = reply.raw
  return new Promise((resolve) => {
    const done = (): void => {
      res.removeListener('finish', done)
      res.removeListener('close', done)
      resolve(res.writableFinished && res.statusCode >= 200 && res.statusCode < 300)
    }
    res.on('finish', done)
    res.on('close', done)
  })
}

async function runInline(
  handler: FastifyInlineHandler,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<boolean> {
  const answered = answeredOk(reply)
  const value = await handler(request, reply)
  // An async handler that returns its payload instead of calling reply.send().
  if (value !== undefined && value !== reply && !reply.sent) reply.send(value)
  return answered
}

function isStreamLike(value: unknown): value is NodeReadableLike {
  return typeof value === 'object' && value !== null && typeof (value as NodeReadableLike).on === 'function'
}

function send(reply: FastifyReply, result: HandleResult, unread: boolean): FastifyReply {
  if (unread) {
    // Close after the answer, lingering so a sender still writing can read it.
    reply.header('connection', 'close')
    lingerOnClose(reply.request.raw)
  }
  return reply.code(result.status).headers(result.headers).send(payload(result))
}

/**
 * The body as Fastify should send it unchanged: a string under hookguard's
 * own content types, which name their charset, otherwise bytes, since
 * Fastify appends a charset to a JSON content type the provider chose
 * without one (Discord) when the body is a string.
 */
function payload(result: HandleResult): string | Buffer | undefined {
  if (result.body === '') return undefined
  return OWN_TYPES.has(result.headers['content-type']!) ? result.body : Buffer.from(result.body)
}

const OWN_TYPES = new Set(['application/json; charset=utf-8', 'text/plain; charset=utf-8'])

/**
 * Media types a provider sends, each given the pass-through parser by name:
 * Fastify caches the parser it finds for a named type, but looks for the
 * catch-all `*` anew on every request (parsing the content type each time).
 */
const NAMED_TYPES = [
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
  'application/xml',
  'text/xml',
]

/**
 * A Fastify plugin for one webhook endpoint:
 * `await app.register(hookguard(receiverOrOptions, { path: '/webhooks/stripe' }))`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { github } from 'hookguard'
 * import { hookguard } from 'hookguard/fastify'
 *
 * const app = Fastify()
 * const provider = github({ secret: process.env.GITHUB_WEBHOOK_SECRET! })
 * // Inline mode: this route handler gets the verified event, and its 2xx completes the dedupe key.
 * await app.register(
 *   hookguard(
 *     { provider },
 *     {
 *       path: '/webhooks/github',
 *       inline: async (request, reply) => reply.code(202).send({ id: request.webhook?.id }),
 *     },
 *   ),
 *   { prefix: '/api' },
 * )
 * ```
 */
export function hookguard<P extends Provider = Provider, T = PayloadOf<P>>(
  receiverOrOptions: ReceiverOrOptions<P, T>,
  options: FastifyAdapterOptions,
): FastifyPluginAsync {
  const { path, inline } = checkOptions(options)
  const receiver = toReceiver(WHERE, receiverOrOptions, options.inline !== undefined)
  const timeoutMs = bodyTimeout(WHERE, options)
  const errors = oneOf(WHERE, 'errors', options.errors, ['respond', 'throw'], 'respond')

  async function route(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const deliver = inline
      ? (event: WebhookEvent<T>): Promise<boolean> => {
          request.webhook = event
          return runInline(inline, request, reply)
        }
      : undefined
    const headers = nodeHeaders(request.raw.rawHeaders)
    const url = `${request.protocol}://${headers.host ?? 'localhost'}${request.url}`
    // The body stream this request's parser saw (a preParsing hook may have replaced request.raw), handed over
    // as request.body: a WeakMap from requests to streams kept every request alive into V8's old generation
    // (GC went from 2 % to 11 % of the server under load; see queues/internal/job-table.ts for the mechanism).
    const parsed = (request as { body?: unknown }).body
    const stream = isStreamLike(parsed) ? parsed : request.raw
    ;(request as { body?: unknown }).body = undefined
    const body: RawBodySource = isNodeStreamConsumed(stream)
      ? { kind: 'consumed', fix: CONSUMED_FIX }
      : { kind: 'node', stream }
    const input = { method: request.method, url, headers, body }
    const { result, delivered, unread } = await receive(receiver, input, { timeoutMs, deliver })
    if (delivered) return reply
    if (errors === 'throw' && (result.status < 200 || result.status >= 300)) {
      if (unread) lingerOnClose(request.raw)
      throw resultToError(result, unread)
    }
    return send(reply, result, unread)
  }

  return async function hookguardFastify(instance: FastifyInstance): Promise<void> {
    // Only inside this plugin: the app's JSON and text parsers never see the webhook body.
    instance.removeAllContentTypeParsers()
    const passThrough = (_request: FastifyRequest, stream: unknown, done: (error: null, body: unknown) => void) =>
      done(null, stream)
    instance.addContentTypeParser(NAMED_TYPES, passThrough)
    instance.addContentTypeParser('*', passThrough)
    instance.all(path, { bodyLimit: receiver.maxBodyBytes }, route)
  }
}
