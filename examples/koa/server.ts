/**
 * Koa app receiving Stripe and GitHub webhooks with hookguard's embedded
 * defaults (in-memory dedupe store and queue). Run: npx tsx examples/koa/server.ts
 */
import Router from '@koa/router'
import Koa from 'koa'
import { github, stripe, type WebhookEvent } from 'hookguard'
import { hookguard } from 'hookguard/koa'

// Real secrets come from the environment; the fallbacks only make the example start locally.
const STRIPE_WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_example_only_0123456789abcdef'
const GITHUB_WEBHOOK_SECRET = process.env.GITHUB_WEBHOOK_SECRET ?? 'example-only-github-secret'

/** Runs after the 2xx, at least once per event, retried with backoff when it throws. */
async function handle(event: WebhookEvent): Promise<void> {
  console.log(`[worker] ${event.provider} ${event.type ?? '(no type)'} ${event.id} attempt ${event.attempt}`)
}

const app = new Koa()
const router = new Router()

// With a router: one route per provider.
router.post('/webhooks/github', hookguard({ provider: github({ secret: GITHUB_WEBHOOK_SECRET }), handler: handle }))
router.get('/', (ctx) => void (ctx.body = { ok: true }))

// Without a router: the `path` option.
app.use(
  hookguard({ provider: stripe({ secret: STRIPE_WEBHOOK_SECRET }), handler: handle }, { path: '/webhooks/stripe' }),
)
app.use(router.routes()).use(router.allowedMethods())

const port = Number(process.env.PORT ?? 3000)
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  console.log(`listening on http://127.0.0.1:${actual} (POST /webhooks/stripe, POST /webhooks/github)`)
})
