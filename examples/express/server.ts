/**
 * Express app receiving Stripe and GitHub webhooks with hookguard's embedded
 * defaults (in-memory dedupe store and queue). Run: npx tsx examples/express/server.ts
 */
import express from 'express'
import { github, stripe, type WebhookEvent } from 'hookguard'
import { hookguard } from 'hookguard/express'

// Real secrets come from the environment; the fallbacks only make the example start locally.
const STRIPE_WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_example_only_0123456789abcdef'
const GITHUB_WEBHOOK_SECRET = process.env.GITHUB_WEBHOOK_SECRET ?? 'example-only-github-secret'

/** Runs after the 2xx, at least once per event, retried with backoff when it throws. */
async function handle(event: WebhookEvent): Promise<void> {
  console.log(`[worker] ${event.provider} ${event.type ?? '(no type)'} ${event.id} attempt ${event.attempt}`)
}

export const app = express()

// Webhook routes first: hookguard reads the raw bytes itself.
app.use('/webhooks/stripe', hookguard({ provider: stripe({ secret: STRIPE_WEBHOOK_SECRET }), handler: handle }))
app.use('/webhooks/github', hookguard({ provider: github({ secret: GITHUB_WEBHOOK_SECRET }), handler: handle }))

// Everything else may parse JSON as usual.
app.use(express.json())
app.get('/', (_req, res) => void res.json({ ok: true }))

const port = Number(process.env.PORT ?? 3000)
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  console.log(`listening on http://127.0.0.1:${actual} (POST /webhooks/stripe, POST /webhooks/github)`)
})
