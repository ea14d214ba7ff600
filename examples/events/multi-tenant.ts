/**
 * One receiver for many tenants, on Koa: each tenant's Stripe account posts
 * to `/webhooks/stripe/<tenant>`. The secret is looked up per request (the
 * resolver sees the method, URL and headers, never the unverified body); an
 * unknown tenant gets 401. `name` puts the tenant into the dedupe key, so
 * two tenants' events never collide, and handlers read it back from
 * `event.key` (`stripe:<tenant>:<event id>`).
 *
 * Run: TENANT_SECRETS='{"acme":"whsec_...","globex":"whsec_..."}' PORT=3000 npx tsx examples/events/multi-tenant.ts
 */
import Router from '@koa/router'
import Koa from 'koa'
import { createReceiver, stripe, type SecretRequest } from 'hookguard'
import { hookguard } from 'hookguard/koa'

/** Where tenants' secrets come from: a database or a secret manager in a real app, an env variable here. */
function loadSecrets(): Map<string, string> {
  const text = process.env.TENANT_SECRETS
  if (!text) {
    console.error('Set TENANT_SECRETS to a JSON object of tenant → Stripe signing secret, e.g. {"acme":"whsec_…"}.')
    process.exit(1)
  }
  try {
    return new Map(Object.entries(JSON.parse(text) as Record<string, string>))
  } catch {
    console.error('TENANT_SECRETS is not valid JSON: expected {"tenant":"whsec_…", …}.')
    process.exit(1)
  }
}
const secrets = loadSecrets()

/** The tenant a request is for: the last segment of /webhooks/stripe/<tenant>. */
function tenantOf(request: Pick<SecretRequest, 'url'>): string {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname
  return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1))
}

const receiver = createReceiver({
  provider: stripe({ secret: (request) => secrets.get(tenantOf(request)) }),
  name: (request) => tenantOf(request) || 'unknown',
  handlers: {
    'invoice.paid': async (event) => {
      const tenant = decodeURIComponent(event.key.split(':')[1]!)
      console.log(
        `[handler] ${tenant} invoice.paid ${event.payload.data.object.id} ${event.payload.data.object.amount_paid}`,
      )
    },
    '*': async (event) => {
      const tenant = decodeURIComponent(event.key.split(':')[1]!)
      console.log(`[handler] ${tenant} ${event.payload.type} ${event.id}`)
    },
  },
})

const router = new Router()
router.post('/webhooks/stripe/:tenant', hookguard(receiver))
const app = new Koa()
app.use(router.routes()).use(router.allowedMethods())

const port = Number(process.env.PORT ?? 3000)
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  console.log(
    `listening on http://127.0.0.1:${actual} (POST /webhooks/stripe/<tenant>, tenants: ${[...secrets.keys()].join(', ')})`,
  )
})
process.on('SIGTERM', () => server.close(() => void receiver.close()))
