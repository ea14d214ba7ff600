/**
 * A tiny Workers-style app (`export default { fetch(request, env, ctx) }`)
 * built from hookguard/fetch and two providers, bundled by esbuild and run
 * unchanged under workerd, Bun, Deno and Node (runtimes.test.ts).
 *
 * Routes: POST /stripe (Web Crypto backend, memory queue), POST /stripe-default
 * (the runtime's default backend), POST /github (Web Crypto), POST /inline
 * (inline mode), GET /state (what ran, which backend and runtime were found).
 */
import { hookguard, type FetchHandler } from '../../../adapters/fetch.js'
import { defaultCrypto, webCryptoBackend } from '../../../src/crypto.js'
import { detectServerless } from '../../../src/internal/serverless.js'
import { github, stripe } from '../../../src/providers/index.js'
import type { WebhookEvent } from '../../../src/types/index.js'

export const STRIPE_SECRET = 'whsec_reach_runtimes_0123456789abcdef'
export const GITHUB_SECRET = 'reach-runtimes-github-secret'

const handled: string[] = []
const record = async (event: WebhookEvent): Promise<void> => {
  // A macrotask of work, so the memory queue's run outlives the response.
  await new Promise((resolve) => setTimeout(resolve, 10))
  handled.push(`${event.provider}:${event.id}`)
}
const web = webCryptoBackend()
const logger = false as const

const routes: Record<string, FetchHandler> = {
  '/stripe': hookguard({ provider: stripe({ secret: STRIPE_SECRET, crypto: web }), handler: record, logger }),
  '/stripe-default': hookguard({ provider: stripe({ secret: STRIPE_SECRET }), handler: record, logger }),
  '/github': hookguard({ provider: github({ secret: GITHUB_SECRET, crypto: web }), handler: record, logger }),
  '/inline': hookguard({ provider: stripe({ secret: STRIPE_SECRET, crypto: web }), logger }, { inline: record }),
}

export default {
  async fetch(request: Request, env?: unknown, ctx?: unknown): Promise<Response> {
    const path = new URL(request.url).pathname
    if (path === '/state') {
      const state = { handled, backend: defaultCrypto().kind, serverless: detectServerless()?.runtime ?? null }
      return Response.json(state)
    }
    const route = routes[path]
    return route ? route(request, env, ctx) : new Response('not found', { status: 404 })
  },
}
