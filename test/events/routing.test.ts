/**
 * Routing by type, beyond the basics in test/core/routing.test.ts: GitHub's
 * type is the event plus the payload's action (`issues.opened`), and types
 * without a handler are visible — with `unhandled: 'ack'` they are answered
 * without touching the store or the queue, archived as ignored and counted;
 * with the default `'enqueue'` the worker records them as ignored.
 */
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import {
  createReceiver,
  github,
  memoryArchive,
  memoryQueue,
  stripe,
  type DedupeStore,
  type QueuedEvent,
} from '../../src/index.js'
import { prometheusMetrics } from '../../src/prometheus.js'
import { signRequest } from '../../src/testing.js'
import { waitFor } from './support.js'

const githubProvider = github({ secret: 'events-routing-github-secret' })
const stripeProvider = stripe({ secret: 'whsec_test_events_routing_0123456789' })

async function githubDelivery(event: string, payload: object, form = false) {
  const json = JSON.stringify(payload)
  const body = form ? `payload=${encodeURIComponent(json)}` : json
  const headers = { 'x-github-event': event, ...(form && { 'content-type': 'application/x-www-form-urlencoded' }) }
  const signed = await signRequest(githubProvider, { body, headers })
  return { method: 'POST', headers: signed.headers, body }
}

async function stripeDelivery(id: string, type: string) {
  const body = JSON.stringify({ id, object: 'event', type, created: 1_700_000_000, data: { object: { id: 'cus_1' } } })
  const { headers } = await signRequest(stripeProvider, { body })
  return { method: 'POST', headers, body }
}

async function counter(register: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await register.getSingleMetric(name)!.get()
  const match = metric.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
  return match?.value ?? 0
}

describe('GitHub: the type is the event and the action', () => {
  it('routes issues.opened exactly, other issues actions to issues.*, push and ping by their bare names', async () => {
    const seen: string[] = []
    const queue = memoryQueue({ logger: false })
    const receiver = createReceiver({
      provider: githubProvider,
      queue,
      logger: false,
      handlers: {
        'issues.opened': (event) => void seen.push(`opened #${event.payload.issue.number} (${event.type})`),
        'issues.*': (event) => void seen.push(`issues:${event.payload.action} (${event.type})`),
        push: (event) => void seen.push(`push ${event.payload.ref} (${event.type})`),
        '*': (event) => void seen.push(`other (${event.type})`),
      },
    })
    const deliveries = [
      await githubDelivery('issues', { action: 'opened', issue: { number: 1 } }),
      await githubDelivery('issues', { action: 'closed', issue: { number: 2 } }),
      // The form encoding GitHub offers carries the same JSON in a payload field.
      await githubDelivery('issues', { action: 'labeled', issue: { number: 3 } }, true),
      await githubDelivery('push', { ref: 'refs/heads/main' }),
      await githubDelivery('ping', { zen: 'Design for failure.', hook_id: 1 }),
      await githubDelivery('pull_request', { action: 'opened', number: 4 }),
    ]
    for (const delivery of deliveries) expect((await receiver.handle(delivery)).status).toBe(200)
    await queue.idle()
    expect(seen.sort()).toEqual(
      [
        'opened #1 (issues.opened)',
        'issues:closed (issues.closed)',
        'issues:labeled (issues.labeled)',
        'push refs/heads/main (push)',
        'other (ping)',
        'other (pull_request.opened)',
      ].sort(),
    )
    await receiver.close()
  })

  it('a non-string action is not part of the type', async () => {
    const events: QueuedEvent[] = []
    const receiver = createReceiver({ provider: githubProvider, queue: { enqueue: async (e) => void events.push(e) } })
    await receiver.handle(await githubDelivery('custom', { action: { nested: true } }))
    await receiver.handle(await githubDelivery('custom', { action: '' }))
    expect(events.map((e) => e.type)).toEqual(['custom', 'custom'])
  })
})

describe("unhandled: 'ack'", () => {
  it('answers 2xx without the store or the queue, archives the delivery as ignored and counts it', async () => {
    const archive = memoryArchive()
    const register = new Registry()
    const store: DedupeStore = {
      reserve: async () => {
        throw new Error('an ignored type must not reach the store')
      },
      complete: async () => true,
      release: async () => true,
    }
    const enqueued: string[] = []
    const handled: string[] = []
    const receiver = createReceiver({
      provider: stripeProvider,
      store,
      queue: { enqueue: async (event) => void enqueued.push(event.id), process: () => {} },
      handlers: { 'invoice.paid': (event) => void handled.push(event.id) },
      unhandled: 'ack',
      archive,
      metrics: prometheusMetrics({ register }),
      logger: false,
    })
    for (const id of ['evt_ack_1', 'evt_ack_2']) {
      const result = await receiver.handle(await stripeDelivery(id, 'customer.created'))
      expect(result.status).toBe(200)
      expect(JSON.parse(result.body)).toEqual({ ok: true, status: 'ignored', id })
    }
    expect(enqueued).toEqual([])
    await receiver.flushArchive()
    const { items } = await archive.list({ outcome: 'ignored' })
    expect(items.map((item) => [item.eventId, item.type, item.state, item.status]).sort()).toEqual([
      ['evt_ack_1', 'customer.created', 'ignored', 200],
      ['evt_ack_2', 'customer.created', 'ignored', 200],
    ])
    const stats = await archive.stats()
    expect(stats.byOutcome.ignored).toBe(2)
    expect(stats.byState.ignored).toBe(2)
    const labels = { provider: 'stripe', outcome: 'ignored' }
    expect(await counter(register, 'hookguard_deliveries_total', labels)).toBe(2)
    await receiver.close()
  })
})

describe("unhandled: 'enqueue' (the default)", () => {
  it('queues every type; the worker records types without a handler as ignored, archived and counted', async () => {
    const archive = memoryArchive()
    const register = new Registry()
    const queue = memoryQueue({ logger: false })
    const handled: string[] = []
    const receiver = createReceiver({
      provider: stripeProvider,
      queue,
      handlers: { 'invoice.*': (event) => void handled.push(event.payload.type) },
      archive,
      metrics: prometheusMetrics({ register }),
      logger: false,
    })
    expect((await receiver.handle(await stripeDelivery('evt_q_1', 'customer.created'))).status).toBe(200)
    expect((await receiver.handle(await stripeDelivery('evt_q_2', 'invoice.paid'))).status).toBe(200)
    await queue.idle()
    expect(handled).toEqual(['invoice.paid'])
    await receiver.close()
    await waitFor(async () => (await archive.stats()).byState.ignored === 1, 'the ignored state in the archive')
    const stats = await archive.stats()
    expect(stats.byOutcome.accepted).toBe(2)
    expect(stats.byState).toMatchObject({ ignored: 1, handled: 1 })
    expect(await counter(register, 'hookguard_handler_runs_total', { result: 'ignored' })).toBe(1)
    expect(await counter(register, 'hookguard_handler_runs_total', { result: 'success' })).toBe(1)
  })
})
