/**
 * Express app receiving Stripe webhooks, with a worker, and serving
 * Prometheus metrics at GET /metrics. Run: npx tsx examples/metrics/server.ts
 */
import express from 'express'
import { createReceiver, createWorker, memoryQueue, stripe, type WebhookEvent } from 'hookguard'
import { hookguard } from 'hookguard/express'
import { prometheusMetrics } from 'hookguard/prometheus'
import { register } from 'prom-client'

// Real secrets come from the environment; the fallback only makes the example start locally.
const STRIPE_WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_example_only_0123456789abcdef'

// One metrics object for the receiver and the worker; both report into prom-client's global register.
const metrics = prometheusMetrics()
// In production use a durable queue (hookguard/sqlite, hookguard/bullmq) and run the worker in its own process.
const queue = memoryQueue()

const receiver = createReceiver({ provider: stripe({ secret: STRIPE_WEBHOOK_SECRET }), queue, metrics })

/** Runs after the 2xx, at least once per event, retried with backoff when it throws. */
async function handle(event: WebhookEvent): Promise<void> {
  console.log(`[worker] ${event.provider} ${event.type ?? '(no type)'} ${event.id} attempt ${event.attempt}`)
}
const worker = createWorker({ queue, handler: handle, metrics })

export const app = express()
app.use('/webhooks/stripe', hookguard(receiver))
app.get('/metrics', async (_req, res) => {
  res.type(register.contentType).send(await register.metrics())
})

const port = Number(process.env.PORT ?? 3000)
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  console.log(`listening on http://127.0.0.1:${actual} (POST /webhooks/stripe, GET /metrics)`)
})

process.on('SIGTERM', () => {
  server.close()
  void receiver.close().then(() => worker.close())
})
