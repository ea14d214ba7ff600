/**
 * memoryStore + memoryQueue take the direct path (src/pipeline/direct.ts):
 * reserve, enqueue and complete synchronously. These tests hold it to the
 * same answers as the separate async steps, including when something in it
 * fails, and check that it steps aside when a method was replaced.
 */
import { describe, expect, it } from 'vitest'
import { HANDLE_NOW } from '../../src/receiver/index.js'
import {
  createReceiver,
  memoryQueue,
  memoryStore,
  stripe,
  type HandleResult,
  type QueuedEvent,
} from '../../src/index.js'
import { fixedClock, signRequest } from '../../src/testing.js'

const SECRET = 'whsec_direct_4eC39HqLyjWDarjtT1zdp7dc'
const T0 = 1_700_000_000_000

type HandleNow = (request: unknown) => HandleResult | Promise<HandleResult>

function setup(options: { maxPending?: number; handler?: boolean } = {}) {
  const provider = stripe({ secret: SECRET })
  const store = memoryStore()
  const queue = memoryQueue({ logger: false, ...(options.maxPending ? { maxPending: options.maxPending } : {}) })
  const handled: string[] = []
  const receiver = createReceiver({
    provider,
    store,
    queue,
    now: fixedClock(T0),
    logger: false,
    ...(options.handler === false ? {} : { handler: (event) => void handled.push(event.id) }),
  })
  const request = async (id: string) => {
    const body = JSON.stringify({ id, type: 'invoice.paid' })
    const { headers } = await signRequest(provider, { body, timestamp: T0 / 1000 })
    return { method: 'POST', url: 'https://example.test/hooks', headers, body: Buffer.from(body) }
  }
  const handleNow = (receiver as unknown as Record<symbol, HandleNow>)[HANDLE_NOW]!
  return { receiver, store, queue, handled, request, handleNow }
}

describe('the direct path (memoryStore, with or without memoryQueue)', () => {
  it('answers without a promise: accepted, then duplicate, and the handler runs once', async () => {
    const { queue, handled, request, handleNow } = setup()
    const first = handleNow(await request('evt_1'))
    expect(first).not.toBeInstanceOf(Promise)
    expect((first as HandleResult).outcome).toMatchObject({ kind: 'accepted', key: 'stripe:default:evt_1' })
    const second = handleNow(await request('evt_1')) as HandleResult
    expect(second.outcome.kind).toBe('duplicate')
    expect(second.headers['hookguard-duplicate']).toBe('true')
    await queue.idle()
    expect(handled).toEqual(['evt_1'])
  })

  it('answers 503 when the queue is full, releases the key, and the retry is accepted once there is room', async () => {
    const { receiver, queue, request } = setup({ maxPending: 1, handler: false })
    expect((await receiver.handle(await request('evt_a'))).outcome.kind).toBe('accepted')
    const refused = await receiver.handle(await request('evt_b'))
    expect(refused.status).toBe(503)
    expect(refused.outcome).toMatchObject({ kind: 'unavailable', code: 'queue.unavailable' })
    const ran: string[] = []
    queue.process((event) => void ran.push(event.id))
    await queue.idle()
    // Released, not left reserved: the sender's retry goes through (an in-flight key would get 409).
    expect((await receiver.handle(await request('evt_b'))).outcome.kind).toBe('accepted')
    await queue.idle()
    expect(ran).toEqual(['evt_a', 'evt_b'])
  })

  it('answers 503 after close() like the async path, and the closed queue is never reached', async () => {
    const { receiver, request } = setup()
    await receiver.close()
    const result = await receiver.handle(await request('evt_closed'))
    expect(result.status).toBe(503)
    expect(result.outcome).toMatchObject({ kind: 'unavailable', code: 'receiver.closed' })
  })

  it('steps aside when a store method is replaced after construction (a spy, a fault injection)', async () => {
    const { receiver, store, request } = setup()
    store.reserve = async () => {
      throw new Error('store down')
    }
    const result = await receiver.handle(await request('evt_down'))
    expect(result.status).toBe(503)
    expect(result.outcome).toMatchObject({ kind: 'unavailable', code: 'store.unavailable' })
  })

  it('steps aside when enqueue is replaced, so the replacement sees every event', async () => {
    const { receiver, queue, handled, request } = setup()
    const seen: QueuedEvent[] = []
    const original = queue.enqueue.bind(queue)
    queue.enqueue = async (event) => {
      seen.push(event)
      await original(event)
    }
    expect((await receiver.handle(await request('evt_seen'))).outcome.kind).toBe('accepted')
    await queue.idle()
    expect(seen.map((event) => event.id)).toEqual(['evt_seen'])
    expect(handled).toEqual(['evt_seen'])
  })

  it('with a queue of another kind: the store stays direct, a failed enqueue is a 503 and frees the key', async () => {
    const provider = stripe({ secret: SECRET })
    let down = true
    const enqueued: string[] = []
    const queue = {
      enqueue: async (event: QueuedEvent) => {
        if (down) throw new Error('queue down')
        enqueued.push(event.id)
      },
    }
    const receiver = createReceiver({ provider, store: memoryStore(), queue, now: fixedClock(T0), logger: false })
    const body = JSON.stringify({ id: 'evt_mixed', type: 'invoice.paid' })
    const { headers } = await signRequest(provider, { body, timestamp: T0 / 1000 })
    const request = () => ({ method: 'POST', headers, body: Buffer.from(body) })
    const refused = await receiver.handle(request())
    expect(refused.outcome).toMatchObject({ kind: 'unavailable', code: 'queue.unavailable' })
    down = false
    expect((await receiver.handle(request())).outcome.kind).toBe('accepted')
    expect((await receiver.handle(request())).outcome.kind).toBe('duplicate')
    expect(enqueued).toEqual(['evt_mixed'])
  })

  it('takes the async path with a store of another kind, and answers the same', async () => {
    const provider = stripe({ secret: SECRET })
    const inner = memoryStore()
    const store = {
      reserve: (key: string, leaseMs: number) => inner.reserve(key, leaseMs),
      complete: (key: string, token: string, ms: number) => inner.complete(key, token, ms),
      release: (key: string, token: string) => inner.release(key, token),
    }
    const receiver = createReceiver({ provider, store, queue: memoryQueue(), now: fixedClock(T0), logger: false })
    const body = JSON.stringify({ id: 'evt_async', type: 'invoice.paid' })
    const { headers } = await signRequest(provider, { body, timestamp: T0 / 1000 })
    const handleNow = (receiver as unknown as Record<symbol, HandleNow>)[HANDLE_NOW]!
    const pending = handleNow({ method: 'POST', headers, body: Buffer.from(body) })
    expect(pending).toBeInstanceOf(Promise)
    expect((await pending).outcome.kind).toBe('accepted')
    expect((await receiver.handle({ method: 'POST', headers, body: Buffer.from(body) })).outcome.kind).toBe('duplicate')
  })
})
