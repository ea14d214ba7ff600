import { describe, expect, it } from 'vitest'
import { createReceiver, github, memoryQueue, stripe, type QueuedEvent, type WebhookEvent } from '../../src/index.js'
import { fixedClock, signRequest } from '../../src/testing.js'

const SECRET = 'whsec_test_routing_0123456789abcdef'
const T0 = 1_700_000_000_000

function setup(options: Record<string, unknown>) {
  const clock = fixedClock(T0)
  const provider = stripe({ secret: SECRET })
  const queue = memoryQueue({ backoffMs: 1, maxBackoffMs: 2, attempts: 2 })
  const receiver = createReceiver({ provider, queue, now: clock, logger: false, ...options })
  async function send(id: string, type: string) {
    const body = JSON.stringify({ id, type, data: { object: { id: 'pi_1' } } })
    const { headers } = await signRequest(provider, { body, timestamp: T0 / 1000 })
    return receiver.handle({ method: 'POST', headers, body })
  }
  return { receiver, queue, send }
}

describe('handlers by type', () => {
  it('runs the most specific handler: exact type, then the longest prefix.*, then *', async () => {
    const calls: string[] = []
    const record = (name: string) => (event: WebhookEvent) => void calls.push(`${name}:${event.type}`)
    const { queue, send } = setup({
      handlers: {
        'payment_intent.succeeded': record('exact'),
        'payment_intent.*': record('pi'),
        'payment_intent.payment_failed.*': record('deep'),
        '*': record('any'),
      },
    })
    for (const [id, type] of [
      ['evt_1', 'payment_intent.succeeded'],
      ['evt_2', 'payment_intent.created'],
      ['evt_3', 'payment_intent.payment_failed.retry'],
      ['evt_4', 'customer.created'],
      ['evt_5', 'payment_intent'],
    ]) {
      expect((await send(id!, type!)).status).toBe(200)
    }
    await queue.idle()
    expect(calls.sort()).toEqual(
      [
        'exact:payment_intent.succeeded',
        'pi:payment_intent.created',
        'deep:payment_intent.payment_failed.retry',
        'any:customer.created',
        'any:payment_intent',
      ].sort(),
    )
  })

  it("unhandled: 'ack' answers 2xx for types without a handler, without storing or queueing them", async () => {
    const enqueued: QueuedEvent[] = []
    const store = {
      reserve: async () => {
        throw new Error('store must not be touched')
      },
      complete: async () => true,
      release: async () => true,
    }
    const { send } = setup({
      handlers: { 'invoice.paid': () => {} },
      unhandled: 'ack',
      store,
      queue: { enqueue: async (event: QueuedEvent) => void enqueued.push(event), process: () => {} },
    })
    const result = await send('evt_ignored', 'customer.created')
    expect(result.status).toBe(200)
    expect(JSON.parse(result.body)).toEqual({ ok: true, status: 'ignored', id: 'evt_ignored' })
    expect(result.outcome).toMatchObject({ kind: 'ignored', id: 'evt_ignored', type: 'customer.created' })
    expect(result.headers['hookguard-outcome']).toBe('ignored')
    expect(enqueued).toHaveLength(0)
    // A handled type still goes through the store (which throws here: 503, nothing acknowledged).
    expect((await send('evt_paid', 'invoice.paid')).status).toBe(503)
  })

  it("unhandled: 'enqueue' (the default) queues every type; the worker skips those without a handler", async () => {
    const seen: string[] = []
    const { queue, send } = setup({ handlers: { 'invoice.paid': (event: WebhookEvent) => void seen.push(event.id) } })
    expect((await send('evt_a', 'customer.created')).outcome.kind).toBe('accepted')
    expect((await send('evt_b', 'invoice.paid')).outcome.kind).toBe('accepted')
    await queue.idle()
    expect(seen).toEqual(['evt_b'])
    expect((await queue.stats()).dead).toBe(0)
  })

  it('routes GitHub deliveries by event', async () => {
    const provider = github({ secret: 'gh-routing-secret' })
    const seen: string[] = []
    const queue = memoryQueue()
    const receiver = createReceiver({
      provider,
      queue,
      logger: false,
      handlers: { push: () => void seen.push('push'), '*': (event) => void seen.push(`other:${event.type}`) },
    })
    for (const event of ['push', 'ping']) {
      const body = JSON.stringify({ zen: `hi ${event}` })
      const signed = await signRequest(provider, { body, headers: { 'x-github-event': event } })
      expect((await receiver.handle({ method: 'POST', headers: signed.headers, body })).status).toBe(200)
    }
    await queue.idle()
    expect(seen.sort()).toEqual(['other:ping', 'push'])
  })
})
