/**
 * Fault: the store's Redis goes away (SIGKILL), then comes back on the same
 * port. While it is gone every delivery gets 503 + Retry-After and nothing is
 * enqueued; afterwards the retried deliveries are accepted and enqueued once.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createReceiver, type Receiver } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from './redis-server.js'
import { countingQueue, makeProvider, post, serve, signed, waitFor, type Delivery } from './support.js'

describeWithRedisServer('fault: Redis store unavailable', () => {
  let redis: PrivateRedis
  let client: Redis
  let receiver: Receiver
  let server: Awaited<ReturnType<typeof serve>>
  const queue = countingQueue()

  beforeAll(async () => {
    redis = await startPrivateRedis()
    // Fail fast while disconnected instead of queueing commands for later.
    client = new Redis({
      host: '127.0.0.1',
      port: redis.port,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    })
    client.on('error', () => {})
    await waitFor('the client to connect', () => client.status === 'ready')
    receiver = createReceiver({
      provider: makeProvider(),
      store: redisStore({ client }),
      queue,
      storeTimeoutMs: 500,
      logger: false,
    })
    server = await serve(receiver)
  })

  afterAll(async () => {
    await server?.close()
    client?.disconnect()
    await redis?.stop()
  })

  it('answers 503 with Retry-After while Redis is down, enqueues nothing, and accepts the retries once after it returns', async () => {
    const before = await signed('evt_before_outage')
    expect((await post(server.port, before)).status).toBe(200)
    expect(queue.keys).toEqual(['stripe:default:evt_before_outage'])

    await redis.kill()
    await waitFor('the client to notice', () => client.status !== 'ready')

    const deliveries: Delivery[] = await Promise.all(Array.from({ length: 5 }, (_, i) => signed(`evt_outage_${i}`)))
    const during = await Promise.all(deliveries.map((d) => post(server.port, d)))
    for (const answer of during) {
      expect(answer.status).toBe(503)
      expect(answer.headers['retry-after']).toBe('5')
      expect(answer.headers['hookguard-outcome']).toBe('unavailable')
      expect(answer.body.error?.code).toBe('store.unavailable')
    }
    // A second round while still down: still no 2xx.
    for (const answer of await Promise.all(deliveries.map((d) => post(server.port, d)))) expect(answer.status).toBe(503)
    expect(queue.keys).toEqual(['stripe:default:evt_before_outage'])

    await redis.restart()
    await waitFor('the client to reconnect', () => client.status === 'ready')

    const after = await Promise.all(deliveries.map((d) => post(server.port, d)))
    expect(after.map((a) => [a.status, a.body.status])).toEqual(deliveries.map(() => [200, 'accepted']))
    const again = await Promise.all(deliveries.map((d) => post(server.port, d)))
    expect(again.map((a) => [a.status, a.body.status, a.headers['hookguard-duplicate']])).toEqual(
      deliveries.map(() => [200, 'duplicate', 'true']),
    )
    for (const d of deliveries) expect(queue.count(`stripe:default:${d.id}`)).toBe(1)
    expect(queue.keys).toHaveLength(6)
  })

  it('with a client that queues commands while offline (ioredis defaults), the store budget still answers 503 in time', async () => {
    const patient = new Redis({ host: '127.0.0.1', port: redis.port, retryStrategy: () => 50 })
    patient.on('error', () => {})
    const outcomes: string[] = []
    const slowQueue = countingQueue()
    const patientReceiver = createReceiver({
      provider: makeProvider(),
      store: redisStore({ client: patient, prefix: 'patient:' }),
      queue: slowQueue,
      storeTimeoutMs: 300,
      leaseMs: 5000,
      logger: false,
      onOutcome: (outcome) => void outcomes.push(outcome.kind),
    })
    const front = await serve(patientReceiver)
    try {
      await waitFor('the client to connect', () => patient.status === 'ready')
      await redis.kill()
      await waitFor('the client to notice', () => patient.status !== 'ready')
      // The reserve sits in the client's offline queue; only the receiver's budget ends the request.
      const answer = await post(front.port, await signed('evt_offline_queue'))
      expect(answer.status).toBe(503)
      expect(answer.body.error?.code).toBe('store.timeout')
      expect(answer.headers['retry-after']).toBe('5')
      expect(slowQueue.keys).toEqual([])
      expect(outcomes).toEqual(['unavailable'])
    } finally {
      await front.close()
      patient.disconnect()
      await redis.restart()
    }
  })
})
