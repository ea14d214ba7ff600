/**
 * `hookguard/express`: Express 4 and 5 middleware.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { stripe } from 'hookguard'
 * import { hookguard } from 'hookguard/express'
 *
 * const app = express()
 * // Mount before express.json(), or let hookguard find express.raw()'s Buffer.
 * app.use(
 *   '/webhooks/stripe',
 *   hookguard({
 *     provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *     handler: async (event) => console.log(event.type, event.id),
 *   }),
 * )
 * app.use(express.json())
 * app.listen(3000)
 * ```
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
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
  writeNodeResponse,
  type BaseAdapterOptions,
  type RawBodySource,
} from '../src/adapter-kit/index.js'
import type { ReceiverOrOptions } from '../src/receiver/index.js'
import type { PayloadOf, Provider, WebhookEvent } from '../src/types/index.js'

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Inline mode: the verified event, set by hookguard before `next()`. */
      webhook?: WebhookEvent
    }
  }
}

/** Options of the Express adapter. */
export interface ExpressAdapterOptions extends BaseAdapterOptions {
  /**
   * Inline mode, for apps with their own queue: after verifying and
   * reserving the event, set `req.webhook` and call `next()`. The dedupe key
   * is completed when the next handler answers 2xx and released when it
   * answers anything else, throws, or the connection closes first.
   * @default false (the event goes to the receiver's queue)
   */
  inline?: boolean
  /**
   * `'respond'`: write hookguard's own response for every outcome.
   * `'next'`: for non-2xx outcomes call `next(err)` with a HookguardError
   * (`status`, `statusCode`, `expose`, `headers`) so your error handler answers.
   * @default 'respond'
   */
  errors?: 'respond' | 'next'
}

const WHERE = 'hookguard/express'

const CONSUMED_FIX =
  'a body parser read the request before hookguard. Mount hookguard before express.json()/express.urlencoded(), ' +
  'or use express.raw({ type: "*/*" }) on the webhook path, or keep the bytes with a verify hook: ' +
  'express.json({ verify: (req, _res, buf) => { req.rawBody = buf } })'

function rawBody(req: Request): RawBodySource {
  const kept = (req as { rawBody?: unknown }).rawBody
  if (kept instanceof Uint8Array) return { kind: 'bytes', bytes: kept }
  if (typeof kept === 'string') return { kind: 'bytes', bytes: new TextEncoder().encode(kept) }
  if (req.body instanceof Uint8Array) return { kind: 'bytes', bytes: req.body }
  // A parsed req.body is never re-serialized: the signature covers the bytes as sent.
  if (isNodeStreamConsumed(req)) return { kind: 'consumed', fix: CONSUMED_FIX }
  return { kind: 'node', stream: req }
}

/** Resolves true when the response finished with a 2xx, false when it did not or the connection closed first. */
function answeredOk(res: Response): Promise<boolean> {
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

/**
 * Express middleware for one webhook endpoint: `app.use(path, hookguard(...))` or `app.post(path, hookguard(...))`.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { github } from 'hookguard'
 * import { hookguard } from 'hookguard/express'
 *
 * const app = express()
 * // Inline mode: the next handler gets the verified event as req.webhook, and its 2xx completes the dedupe key.
 * const provider = github({ secret: process.env.GITHUB_WEBHOOK_SECRET! })
 * app.post('/webhooks/github', hookguard({ provider }, { inline: true }), (req, res) => {
 *   console.log(req.webhook?.type, req.webhook?.id)
 *   res.sendStatus(204)
 * })
 * ```
 */
export function hookguard<P extends Provider = Provider, T = PayloadOf<P>>(
  receiverOrOptions: ReceiverOrOptions<P, T>,
  options: ExpressAdapterOptions = {},
): RequestHandler {
  const receiver = toReceiver(WHERE, receiverOrOptions, options.inline === true)
  const timeoutMs = bodyTimeout(WHERE, options)
  const inline = flag(WHERE, 'inline', options.inline)
  const errors = oneOf(WHERE, 'errors', options.errors, ['respond', 'next'], 'respond')

  return function hookguardExpress(req: Request, res: Response, next: NextFunction): void {
    const url = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`
    const deliver = inline
      ? (event: WebhookEvent<T>): Promise<boolean> => {
          const answered = answeredOk(res)
          req.webhook = event
          next()
          return answered
        }
      : undefined
    const headers = nodeHeaders(req.rawHeaders)
    receive(receiver, { method: req.method, url, headers, body: rawBody(req) }, { timeoutMs, deliver })
      .then(({ result, delivered, unread }) => {
        if (delivered) return
        if (errors === 'next' && (result.status < 200 || result.status >= 300)) {
          if (unread) lingerOnClose(req)
          return next(resultToError(result, unread))
        }
        writeNodeResponse(res, result, unread, req)
      })
      .catch(next)
  }
}
