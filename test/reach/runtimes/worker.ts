/**
 * A tiny Workers-style app (`export default { fetch(request, env, ctx) }`)
 * built from hookguard/fetch and two providers, bundled by esbuild and run
 * unchanged under workerd, Bun, Deno and Node (runtimes.test.ts).
 *
 * Routes: POST /stripe (Web Crypto backend, memory queue), POST /stripe-default
 * (the runtime's default backend), POST /github (Web Crypto), POST /inline
 * (inline mode), GET /state (what ran, which backend, runtime and keep-alive were found).
 */
import { hookguard, type FetchHandler } from '../../../adapters/fetch.js'
import { defaultCrypto, webCryptoBackend } from '../../../src/crypto.js'
import { detectServerless, isKeptAlive } from '../../../src/internal/serverless.js'
import { github, stripe } from '../../../src/providers/index.js'
import { createReceiver, type Receiver } from '../../../src/receiver/index.js'
import type { WebhookEvent } from '../../../src/types/index.js'
import { GITHUB_SECRET, STRIPE_SECRET } from './secrets.js'

const handled: string[] = []
const record = async (event: WebhookEvent): Promise<void> => {
  // A macrotask of work, so the memory queue's run outlives the response.
  await new Promise((resolve) => setTimeout(resolve, 10))
  handled.push(`${event.provider}:${event.id}`)
}
const web = webCryptoBackend()
const logger = false as const
let routes: Record<string, FetchHandler> | undefined
let queued: Receiver | undefined

/** Built on the first request: Workers forbid random values (store tokens) in global scope. */
function build(): Record<string, FetchHandler> {
  queued = createReceiver({ provider: stripe({ secret: STRIPE_SECRET, crypto: web }), handler: record, logger })
  return {
    '/stripe': hookguard(queued),
    '/stripe-default': hookguard({ provider: stripe({ secret: STRIPE_SECRET }), handler: record, logger }),
    '/github': hookguard({ provider: github({ secret: GITHUB_SECRET, crypto: web }), handler: record, logger }),
    '/inline': hookguard({ provider: stripe({ secret: STRIPE_SECRET, crypto: web }), logger }, { inline: record }),
  }
}

export default {
  async fetch(request: Request, env?: unknown, ctx?: unknown): Promise<Response> {
    const path = new URL(request.url).pathname
    if (path === '/state') {
      const state = {
        handled,
        backend: defaultCrypto().kind,
        serverless: detectServerless()?.runtime ?? null,
        // Whether a waitUntil (Workers' ctx) was found to keep the memory queue's worker alive.
        keptAlive: queued ? isKeptAlive(queued.queue) : false,
      }
      return Response.json(state)
    }
    routes ??= build()
    const route = routes[path]
    return route ? route(request, env, ctx) : new Response('not found', { status: 404 })
  },
}
