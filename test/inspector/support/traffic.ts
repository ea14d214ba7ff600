/**
 * A day of ordinary traffic for the screenshots: Stripe, GitHub and Shopify
 * deliveries through real receivers, mostly accepted, with the duplicates,
 * forgeries and wrong methods a real endpoint sees, spread over the last
 * 22 hours. Deterministic: the same archive every run.
 */
import {
  createReceiver,
  github,
  memoryQueue,
  shopify,
  stripe,
  type DeliveryArchive,
  type Provider,
} from '../../../src/index.js'
import { fixedClock, signRequest } from '../../../src/testing.js'

const STRIPE_TYPES = ['payment_intent.succeeded', 'invoice.paid', 'customer.subscription.updated', 'charge.refunded']
const GITHUB_TYPES = ['push', 'pull_request', 'issues', 'workflow_run']
const SHOPIFY_TYPES = ['orders/create', 'orders/paid', 'products/update']

export async function ordinaryTraffic(archive: DeliveryArchive, end = Date.now()): Promise<number> {
  const clock = fixedClock(end - 22 * 3_600_000)
  const providers: Array<[Provider, string[]]> = [
    [stripe({ secret: 'whsec_traffic_0123456789abcdef' }), STRIPE_TYPES],
    [github({ secret: 'gh-traffic-secret-0123' }), GITHUB_TYPES],
    [shopify({ secret: 'shpss_traffic_0123456789abcdef' }), SHOPIFY_TYPES],
  ]
  const receivers = providers.map(([provider]) =>
    createReceiver({ provider, archive, queue: memoryQueue(), logger: false, now: clock }),
  )
  let count = 0
  for (let i = 0; clock() < end - 60_000; i++) {
    clock.advance(4 * 60_000 + ((i * 7919) % 9) * 60_000)
    const which = i % 5 === 0 ? 1 : i % 3 === 0 ? 2 : 0
    const [provider, types] = providers[which]!
    const type = types[(i * 31) % types.length]!
    const id = `${provider.name === 'stripe' ? 'evt_' : ''}${(1_000_000 + i * 7919).toString(36)}`
    const body = JSON.stringify({ id, object: 'event', type, data: { object: { id: `obj_${i}`, amount: 1000 + i } } })
    const signed = await signRequest(provider, {
      body: i % 17 === 5 ? 'tampered' : body,
      now: clock,
      id,
      headers: which === 1 ? { 'x-github-event': type } : which === 2 ? { 'x-shopify-topic': type } : {},
    })
    const receiver = receivers[which]!
    await receiver.handle({
      method: i % 23 === 7 ? 'GET' : 'POST',
      url: `https://hooks.example.com/webhooks/${provider.name}`,
      headers: signed.headers,
      body,
    })
    if (i % 11 === 3)
      await receiver.handle({
        method: 'POST',
        url: `https://hooks.example.com/webhooks/${provider.name}`,
        headers: signed.headers,
        body,
      })
    count++
  }
  for (const receiver of receivers) await receiver.close()
  return count
}
