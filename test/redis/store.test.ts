import { Cluster, Redis } from 'ioredis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReceiver } from '../../src/index.js'
import { redisStore, type RedisStore } from '../../src/redis.js'
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from '../faults/redis-server.js'
import { countingQueue, makeProvider, signed } from '../faults/support.js'
import { describeWithRedis, REDIS_URL } from '../support/services.js'

const run = `hookguard-test:redis-store:${process.pid}:${Date.now()}:`

describe('redisStore options', () => {
  it('throws a TypeError that names the fix when the client is missing or unsupported', () => {
    expect(() => redisStore(undefined as never)).toThrow(TypeError)
    expect(() => redisStore({} as never)).toThrow(/options.client is required/)
    expect(() => redisStore({ client: 'redis://127.0.0.1' as never })).toThrow(/options.client is required/)
    expect(() => redisStore({ client: {} as never })).toThrow(/unsupported client/)
    // Callback-style clients (node-redis v3, legacy mode) have lower-case evalsha but are not ioredis.
    expect(() => redisStore({ client: { evalsha() {}, eval() {} } as never })).toThrow(/unsupported client/)
  })

  it('refuses a prefix that is not a string, and a logger without warn/error', () => {
    const client = new Redis({ lazyConnect: true })
    expect(() => redisStore({ client, prefix: 42 as never })).toThrow(/prefix must be a string/)
    expect(() => redisStore({ client, logger: { error() {} } as never })).toThrow(/logger must have/)
  })

  it('detects ioredis Redis and Cluster, and node-redis clients, without connecting them', () => {
    expect(redisStore({ client: new Redis({ lazyConnect: true }) }).clientKind).toBe('ioredis')
    expect(
      redisStore({ client: new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true }) }).clientKind,
    ).toBe('ioredis')
    expect(redisStore({ client: createClient() }).clientKind).toBe('node-redis')
    expect(redisStore({ client: new Redis({ lazyConnect: true }) }).prefix).toBe('hookguard:')
  })
})

describeWithRedis('redisStore data layout and receiver integration', () => {
  const io = new Redis(REDIS_URL!, { lazyConnect: true })
  const node = createClient({ url: REDIS_URL! })

  beforeAll(async () => {
    await io.connect()
    await node.connect()
  })
  afterAll(async () => {
    const keys = await io.keys(`${run}*`)
    if (keys.length > 0) await io.del(...keys)
    await io.quit()
    await node.close()
  })

  for (const kind of ['ioredis', 'node-redis'] as const) {
    const client = () => (kind === 'ioredis' ? io : node)

    it(`${kind}: stores the owner token under the prefix with the lease as TTL, then the retention`, async () => {
      const prefix = `${run}layout:${kind}:`
      const store = redisStore({ client: client(), prefix })
      const reserved = await store.reserve('stripe:default:evt_1', 30_000)
      if (reserved.status !== 'reserved') throw new Error('expected reserved')
      expect(await io.get(`${prefix}stripe:default:evt_1`)).toBe(`r:${reserved.token}`)
      const leaseTtl = await io.pttl(`${prefix}stripe:default:evt_1`)
      expect(leaseTtl).toBeGreaterThan(0)
      expect(leaseTtl).toBeLessThanOrEqual(30_000)

      const busy = await store.reserve('stripe:default:evt_1', 30_000)
      expect(busy.status).toBe('in_flight')
      expect(busy.status === 'in_flight' && busy.retryAfterMs).toBeGreaterThan(0)
      expect(busy.status === 'in_flight' && busy.retryAfterMs).toBeLessThanOrEqual(30_000)

      expect(await store.complete('stripe:default:evt_1', reserved.token, 600_000)).toBe(true)
      expect(await io.get(`${prefix}stripe:default:evt_1`)).toMatch(/^d:/)
      expect(await io.pttl(`${prefix}stripe:default:evt_1`)).toBeGreaterThan(30_000)
      // Nothing but the one key was written.
      expect(await io.keys(`${prefix}*`)).toEqual([`${prefix}stripe:default:evt_1`])
    })

    it(`${kind}: a receiver accepts, answers 409 in flight and 200 duplicate, and close() leaves the client open`, async () => {
      const store: RedisStore = redisStore({ client: client(), prefix: `${run}receiver:${kind}:` })
      const queue = countingQueue()
      const receiver = createReceiver({ provider: makeProvider(), store, queue, logger: false })
      const delivery = await signed('evt_receiver')
      const held = await store.reserve('stripe:default:evt_held', 30_000)
      const heldDelivery = await signed('evt_held')

      const accepted = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
      expect([accepted.status, accepted.outcome.kind]).toEqual([200, 'accepted'])
      const duplicate = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
      expect([duplicate.status, duplicate.headers['hookguard-duplicate']]).toEqual([200, 'true'])
      const inFlight = await receiver.handle({ method: 'POST', headers: heldDelivery.headers, body: heldDelivery.body })
      expect([inFlight.status, inFlight.headers['retry-after']]).toEqual([409, '30'])
      expect(queue.keys).toEqual(['stripe:default:evt_receiver'])
      expect(held.status).toBe('reserved')

      await receiver.close()
      expect(await (client() as { ping(): Promise<string> }).ping()).toBe('PONG')
    })
    it(`${kind}: forget deletes only a completed key; advance keeps the version text exactly, with the retention as TTL`, async () => {
      const prefix = `${run}forget-advance:${kind}:`
      const store = redisStore({ client: client(), prefix })
      const token = await store.reserve('k', 30_000)
      if (token.status !== 'reserved') throw new Error('expected reserved')
      expect(await store.forget('k')).toBe(false)
      expect(await io.get(`${prefix}k`)).toBe(`r:${token.token}`)
      await store.complete('k', token.token, 60_000)
      expect(await store.forget('k')).toBe(true)
      expect(await io.exists(`${prefix}k`)).toBe(0)

      expect(await store.advance('@order:cus_1', 1_726_000_000_123.5, 90_000)).toBe(true)
      expect(await io.get(`${prefix}@order:cus_1`)).toBe('o:1726000000123.5')
      const ttl = await io.pttl(`${prefix}@order:cus_1`)
      expect(ttl).toBeGreaterThan(60_000)
      expect(ttl).toBeLessThanOrEqual(90_000)
      expect(await store.advance('@order:cus_1', 1_726_000_000_123.25, 90_000)).toBe(false)
      expect(await io.get(`${prefix}@order:cus_1`)).toBe('o:1726000000123.5')
      // A dedupe key is never read as a version: the call fails instead of answering.
      await expect(store.advance('k2', 1, 60_000)).resolves.toBe(true)
      const held = await store.reserve('held', 30_000)
      expect(held.status).toBe('reserved')
      await expect(store.advance('held', 1, 60_000)).rejects.toThrow(/not an ordering record/)
    })

    it(`${kind}: a key without expiry (not hookguard's) answers in_flight and is reported once`, async () => {
      const prefix = `${run}foreign:${kind}:`
      const warnings: Array<[Record<string, unknown>, string]> = []
      const logger = { warn: (f: Record<string, unknown>, m: string) => void warnings.push([f, m]), error: () => {} }
      const store = redisStore({ client: client(), prefix, logger })
      await io.set(`${prefix}evt_1`, 'someone else')
      expect(await store.reserve('evt_1', 30_000)).toEqual({ status: 'in_flight' })
      expect(await store.reserve('evt_1', 30_000)).toEqual({ status: 'in_flight' })
      expect(warnings).toHaveLength(1)
      expect(warnings[0]![0]).toEqual({ key: `${prefix}evt_1` })
      expect(warnings[0]![1]).toMatch(/prefix no other application uses/)
    })
  }

  it('node-redis with RESP3: replies are read the same way', async () => {
    const resp3 = createClient({ url: REDIS_URL!, RESP: 3 })
    await resp3.connect()
    try {
      const store = redisStore({ client: resp3, prefix: `${run}resp3:` })
      const first = await store.reserve('k', 30_000)
      if (first.status !== 'reserved') throw new Error('expected reserved')
      const busy = await store.reserve('k', 30_000)
      expect(busy.status === 'in_flight' && busy.retryAfterMs).toBeGreaterThan(0)
      expect(await store.complete('k', 'not-the-token', 60_000)).toBe(false)
      expect(await store.complete('k', first.token, 60_000)).toBe(true)
      expect((await store.reserve('k', 30_000)).status).toBe('duplicate')
      expect(await store.release('k', first.token)).toBe(false)
    } finally {
      await resp3.close()
    }
  })

  it('node-redis: a client that was never connected makes the receiver answer 503, not throw', async () => {
    const receiver = createReceiver({
      provider: makeProvider(),
      store: redisStore({ client: createClient({ url: REDIS_URL! }) }),
      logger: false,
    })
    const delivery = await signed('evt_unconnected')
    const answer = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
    expect([answer.status, answer.headers['retry-after'], answer.outcome.kind]).toEqual([503, '5', 'unavailable'])
  })
})

describeWithRedisServer('redisStore script cache', () => {
  let redis: PrivateRedis
  beforeAll(async () => {
    redis = await startPrivateRedis()
  })
  afterAll(async () => {
    await redis?.stop()
  })

  it('falls back to EVAL when Redis has no cached script (NOSCRIPT), for both clients', async () => {
    const io = new Redis({ host: '127.0.0.1', port: redis.port })
    const node = createClient({ url: redis.url })
    await node.connect()
    try {
      for (const client of [io, node]) {
        // A private server, so flushing its script cache disturbs no one.
        await io.script('FLUSH')
        const store = redisStore({ client, prefix: `flush:${client === io ? 'io' : 'node'}:` })
        const first = await store.reserve('k', 30_000)
        if (first.status !== 'reserved') throw new Error('expected reserved')
        await io.script('FLUSH')
        expect(await store.complete('k', first.token, 60_000)).toBe(true)
        await io.script('FLUSH')
        expect((await store.reserve('k', 30_000)).status).toBe('duplicate')
        const second = await store.reserve('other', 30_000)
        if (second.status !== 'reserved') throw new Error('expected reserved')
        await io.script('FLUSH')
        expect(await store.release('other', second.token)).toBe(true)
        await io.script('FLUSH')
        expect(await store.forget('k')).toBe(true)
        await io.script('FLUSH')
        expect(await store.advance('entity', 2, 60_000)).toBe(true)
        await io.script('FLUSH')
        expect(await store.advance('entity', 1, 60_000)).toBe(false)
      }
    } finally {
      io.disconnect()
      await node.close()
    }
  })
})
