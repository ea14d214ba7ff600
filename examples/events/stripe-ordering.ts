/**
 * The ordering guard on Stripe, with node:http. Stripe does not deliver in
 * order: `payment_intent.created` may arrive after `payment_intent.succeeded`.
 * With `ordering: true` (Stripe's default: the object `data.object.id`, the
 * event's `created`) an event older than the newest one handled for its
 * object is skipped with the outcome `stale`: counted, archived, and visible
 * in `GET /stats`. Equal versions and events without an object id run.
 *
 * The versions live in the dedupe store: here the in-memory default; use
 * `sqliteStore`, `redisStore` or `postgresStore` to keep them across
 * restarts and share them between workers.
 *
 * Run: STRIPE_WEBHOOK_SECRET=whsec_... PORT=3000 npx tsx examples/events/stripe-ordering.ts
 */
import { createServer } from 'node:http'
import { createReceiver, memoryArchive, stripe } from 'hookguard'
import { hookguard } from 'hookguard/node'

const secret = process.env.STRIPE_WEBHOOK_SECRET
if (!secret) {
  console.error('Set STRIPE_WEBHOOK_SECRET to the endpoint signing secret (whsec_…, from the Stripe dashboard).')
  process.exit(1)
}

/** What the handlers maintain: each payment intent's latest status. */
const payments = new Map<string, string>()

const archive = memoryArchive()
const receiver = createReceiver({
  provider: stripe({ secret }),
  ordering: true,
  archive,
  handlers: {
    'payment_intent.*': async (event) => {
      const intent = event.payload.data.object // Stripe.PaymentIntent
      payments.set(intent.id, intent.status)
      console.log(`[handler] ${event.payload.type} ${intent.id} → ${intent.status}`)
    },
  },
})

const webhooks = hookguard(receiver)
const server = createServer(async (req, res) => {
  if (req.url === '/webhooks/stripe') return webhooks(req, res)
  if (req.method === 'GET' && req.url === '/payments') return json(res, Object.fromEntries(payments))
  if (req.method === 'GET' && req.url === '/stats') {
    await receiver.flushArchive() // records are batched off the response path
    return json(res, (await archive.stats()).byState) // { handled: …, stale: … }
  }
  res.writeHead(404).end()
})

function json(res: import('node:http').ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : process.env.PORT
  console.log(`listening on http://127.0.0.1:${port} (POST /webhooks/stripe, GET /payments, GET /stats)`)
})
process.on('SIGTERM', () => server.close(() => void receiver.close()))
