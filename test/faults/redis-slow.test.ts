/**
 * Fault: the store's Redis stops answering (SIGSTOP: the connection stays
 * open, replies never come). The receiver's store budget answers 503; when
 * Redis resumes, the late reply changes nothing: no late 2xx, nothing
 * enqueued, and the retry is accepted exactly once.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createReceiver, type Outcome, type Receiver } from '../../src/index.js'
import { redisStore } from '../../src/redis.js'
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from './redis-server.js'
import { countingQueue, expectAcceptedOnceAfterLateLease, makeProvider, post, serve, signed, sleep } from './support.js'

describeWithRedisServer('fault: Redis store slow (paused server)', () => {
  let redis: PrivateRedis
  let client: Redis
  let receiver: Receiver
  let server: Awaited<ReturnType<typeof serve>>
  const queue = countingQueue()
  const outcomes: Outcome[] = []

  beforeAll(async () => {
    redis = await startPrivateRedis()
    // No commandTimeout: without the receiver's budget a request would wait for as long as Redis is paused.
    client = new Redis({ host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: 0 })
    client.on('error', () => {})
    await client.ping()
    receiver = createReceiver({
      provider: makeProvider(),
      store: redisStore({ client, prefix: 'slow:' }),
      queue,
      storeTimeoutMs: 300,
      queueTimeoutMs: 500,
      leaseMs: 1500,
      logger: false,
      onOutcome: (outcome) => void outcomes.push(outcome),
    })
    server = await serve(receiver)
  })

  afterAll(async () => {
    redis?.resume()
    await server?.close()
    client?.disconnect()
    await redis?.stop()
  })

  it('answers 503 within the store budget while Redis is paused, never a late 2xx, and accepts the retry once', async () => {
    const delivery = await signed('evt_paused')
    const key = 'stripe:default:evt_paused'
    redis.pause()
    let answers
    try {
      answers = await Promise.all([
        post(server.port, delivery),
        post(server.port, delivery),
        post(server.port, await signed('evt_paused_2')),
      ])
    } finally {
      redis.resume()
    }
    // Redis was still stopped when these came back: only the receiver's budget can have ended them.
    for (const answer of answers) {
      expect(answer.status).toBe(503)
      expect(answer.body.error?.code).toBe('store.timeout')
      expect(answer.headers['retry-after']).toBe('5')
    }

    // The reserves written before the pause now run; their replies arrive after the requests were answered.
    await client.ping()
    await sleep(50)
    expect(queue.keys).toEqual([])
    expect(outcomes.map((o) => o.kind)).toEqual(['unavailable', 'unavailable', 'unavailable'])
    // The late reservation has no owner in any process; it holds the key until its lease ends.
    expect(await client.get(`slow:${key}`)).toMatch(/^r:/)

    // Retries inside that lease are 409, never 2xx; after it they are accepted, once.
    await expectAcceptedOnceAfterLateLease(server.port, delivery, queue, key)
    expect(outcomes.filter((o) => o.kind === 'accepted')).toHaveLength(1)
  })
})
