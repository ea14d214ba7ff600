/**
 * `hookguard/node`: a plain `node:http` request listener.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { stripe } from 'hookguard'
 * import { hookguard } from 'hookguard/node'
 *
 * const listener = hookguard({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   handler: async (event) => console.log(event.type, event.id),
 * })
 * createServer(listener).listen(3000)
 * ```
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  bodyTimeout,
  isNodeStreamConsumed,
  nodeHeaders,
  receive,
  toReceiver,
  writeNodeResponse,
  type BaseAdapterOptions,
} from '../src/adapter-kit/index.js'
import type { ReceiverOrOptions } from '../src/receiver/index.js'
import type { PayloadOf, Provider } from '../src/types/index.js'

export type { BaseAdapterOptions } from '../src/adapter-kit/index.js'

/** Options of the `node:http` adapter. */
export type NodeAdapterOptions = BaseAdapterOptions

const WHERE = 'hookguard/node'

const CONSUMED_FIX = 'the request stream was read before the hookguard listener ran; call it with an unread request'

const INTERNAL_ERROR = '{"ok":false,"error":{"code":"internal","message":"Internal error"}}'

/**
 * A `(req, res) => void` listener that answers every request it gets: mount
 * it on its own server or call it from your router for the webhook path.
 * Reads the body itself (under `maxBodyBytes` and `bodyTimeoutMs`).
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { github } from 'hookguard'
 * import { hookguard } from 'hookguard/node'
 *
 * const webhooks = hookguard({
 *   provider: github({ secret: process.env.GITHUB_WEBHOOK_SECRET! }),
 *   handler: async (event) => console.log(event.type, event.id),
 * })
 * createServer((req, res) => {
 *   if (req.url?.startsWith('/webhooks/github')) return webhooks(req, res)
 *   res.writeHead(404).end()
 * }).listen(3000)
 * ```
 */
export function hookguard<P extends Provider = Provider, T = PayloadOf<P>>(
  receiverOrOptions: ReceiverOrOptions<P, T>,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const receiver = toReceiver(WHERE, receiverOrOptions)
  const timeoutMs = bodyTimeout(WHERE, options)
  return function hookguardNode(req, res) {
    const headers = nodeHeaders(req.rawHeaders)
    const host = typeof headers.host === 'string' ? headers.host : 'localhost'
    const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'
    const body = isNodeStreamConsumed(req)
      ? ({ kind: 'consumed', fix: CONSUMED_FIX } as const)
      : ({ kind: 'node', stream: req } as const)
    receive(
      receiver,
      { method: req.method ?? '', url: `${scheme}://${host}${req.url ?? '/'}`, headers, body },
      { timeoutMs },
    )
      .then(({ result, unread }) => writeNodeResponse(res, result, unread, req))
      .catch(() => {
        // receive() only rejects on a bug; answer rather than leave the socket hanging.
        if (res.writableEnded) return
        if (!res.headersSent)
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', connection: 'close' })
        res.end(INTERNAL_ERROR)
      })
  }
}
