/**
 * `hookguard/fetch`: a `(Request) => Promise<Response>` handler for Next.js
 * route handlers, Bun, Deno, Cloudflare Workers and anything else that
 * speaks the Fetch API.
 *
 * @example
 * ```ts
 * // app/api/webhooks/stripe/route.ts (Next.js)
 * import { stripe } from 'hookguard'
 * import { hookguard } from 'hookguard/fetch'
 *
 * export const POST = hookguard({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   handler: async (event) => console.log(event.type, event.id),
 * })
 * ```
 *
 * @module
 */
import { bodyTimeout, receive, toReceiver, type BaseAdapterOptions } from '../src/adapter-kit/index.js'
import type { Receiver, ReceiverOptions } from '../src/receiver/index.js'
import type { HandleResult } from '../src/types/index.js'

/** Options of the Fetch adapter. */
export type FetchAdapterOptions = BaseAdapterOptions

const WHERE = 'hookguard/fetch'

const CONSUMED_FIX =
  'the Request body was read before hookguard; pass hookguard the untouched Request (or request.clone())'

/** The result as a Fetch `Response`. */
function toResponse(result: HandleResult): Response {
  return new Response(result.body === '' ? null : result.body, { status: result.status, headers: result.headers })
}

/** A Fetch handler that reads `request.body` under `maxBodyBytes` and `bodyTimeoutMs`. */
export function hookguard<T = unknown>(
  receiverOrOptions: Receiver<T> | ReceiverOptions<T>,
  options: FetchAdapterOptions = {},
): (request: Request) => Promise<Response> {
  const receiver = toReceiver(WHERE, receiverOrOptions)
  const timeoutMs = bodyTimeout(WHERE, options)
  return async function hookguardFetch(request) {
    const body = request.bodyUsed
      ? ({ kind: 'consumed', fix: CONSUMED_FIX } as const)
      : ({ kind: 'web', stream: request.body } as const)
    const input = { method: request.method, url: request.url, headers: request.headers, body }
    const { result } = await receive(receiver, input, { timeoutMs })
    return toResponse(result)
  }
}
