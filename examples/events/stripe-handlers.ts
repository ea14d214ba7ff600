/**
 * Stripe handlers by event type, on Express. Each handler gets the payload
 * of its type (`payment_intent.succeeded` → `Stripe.PaymentIntentSucceededEvent`,
 * types from the `stripe` package); `customer.subscription.*` gets every
 * subscription event; types without a handler are answered 200 "ignored"
 * and never queued (`unhandled: 'ack'`).
 *
 * Run: STRIPE_WEBHOOK_SECRET=whsec_... PORT=3000 npx tsx examples/events/stripe-handlers.ts
 * Then: stripe listen --forward-to localhost:3000/webhooks/stripe
 */
import express from 'express'
import { createReceiver, stripe } from 'hookguard'
import { hookguard } from 'hookguard/express'

const secret = process.env.STRIPE_WEBHOOK_SECRET
if (!secret) {
  console.error(
    'Set STRIPE_WEBHOOK_SECRET to the endpoint signing secret (whsec_…: Stripe dashboard → Webhooks, or the one `stripe listen` prints).',
  )
  process.exit(1)
}

const receiver = createReceiver({
  provider: stripe({ secret }),
  handlers: {
    'payment_intent.succeeded': async (event) => {
      const intent = event.payload.data.object // Stripe.PaymentIntent
      console.log(`[handler] payment_intent.succeeded ${intent.id} ${intent.amount} ${intent.currency}`)
    },
    'payment_intent.payment_failed': async (event) => {
      const intent = event.payload.data.object
      console.log(`[handler] payment_intent.payment_failed ${intent.id}: ${intent.last_payment_error?.message ?? '?'}`)
    },
    'customer.subscription.*': async (event) => {
      const subscription = event.payload.data.object // Stripe.Subscription, for every customer.subscription.* type
      console.log(`[handler] ${event.payload.type} ${subscription.id} ${subscription.status}`)
    },
  },
  // Every other type (customer.created, charge.succeeded …): 200 "ignored", no store, no queue.
  unhandled: 'ack',
})

const app = express()
// Webhook routes before any body parser: hookguard reads the raw bytes itself.
app.use('/webhooks/stripe', hookguard(receiver))

const port = Number(process.env.PORT ?? 3000)
const server = app.listen(port, '127.0.0.1', () => {
  const address = server.address()
  const actual = typeof address === 'object' && address ? address.port : port
  console.log(`listening on http://127.0.0.1:${actual} (POST /webhooks/stripe)`)
})
process.on('SIGTERM', () => server.close(() => void receiver.close()))
