/**
 * Hono app (on Node through @hono/node-server) receiving Stripe and GitHub
 * webhooks with hookguard's embedded defaults (in-memory dedupe store and
 * queue). Run: npx tsx examples/hono/server.ts
 */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { github, stripe, type WebhookEvent } from 'hookguard'
import { hookguard } from 'hookguard/hono'

// Real secrets come from the environment; the fallbacks only make the example start locally.
const STRIPE_WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_example_only_0123456789abcdef'
const GITHUB_WEBHOOK_SECRET = process.env.GITHUB_WEBHOOK_SECRET ?? 'example-only-github-secret'

/** Runs after the 2xx, at least once per event, retried with backoff when it throws. */
async function handle(event: WebhookEvent): Promise<void> {
  console.log(`[worker] ${event.provider} ${event.type ?? '(no type)'} ${event.id} attempt ${event.attempt}`)
}

const app = new Hono()
app.post('/webhooks/stripe', hookguard({ provider: stripe({ secret: STRIPE_WEBHOOK_SECRET }), handler: handle }))
app.post('/webhooks/github', hookguard({ provider: github({ secret: GITHUB_WEBHOOK_SECRET }), handler: handle }))
app.get('/', (c) => c.json({ ok: true }))

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000), hostname: '127.0.0.1' }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port} (POST /webhooks/stripe, POST /webhooks/github)`)
})
