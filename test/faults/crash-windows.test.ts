/**
 * Crash windows: a receiver process is SIGKILLed at each point of a delivery
 * (after reserve, after a durable enqueue, after complete but before the 2xx),
 * and the sender's retry goes to another, fresh process. In every case the
 * event ends up enqueued exactly once: the lease turns retries into 409 until
 * it ends, the queue's idempotent insert absorbs a second enqueue, and a
 * completed key answers 200 duplicate.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWithRedisServer, startPrivateRedis, type PrivateRedis } from './redis-server.js'
import {
  post,
  removeChildBundle,
  signed,
  startChildReceiver,
  waitFor,
  type ChildConfig,
  type ChildReceiver,
  type Delivery,
} from './support.js'

const PREFIX = 'crash:'
// Each victim's lease ≥ 2 × storeTimeoutMs + queueTimeoutMs, as the receiver
// requires. The budget of the step a victim hangs in leaves time to SIGKILL it
// before the receiver would give up on that step by itself.
const ENQUEUE_HANG = { leaseMs: 4000, storeTimeoutMs: 1000, queueTimeoutMs: 2000 }
const COMPLETE_HANG = { leaseMs: 5000, storeTimeoutMs: 2000, queueTimeoutMs: 1000 }
// The survivor's own lease is never waited for; wide budgets keep a loaded machine from turning its answers into 503s.
const SURVIVOR = { leaseMs: 8000, storeTimeoutMs: 2000, queueTimeoutMs: 4000 }

describeWithRedisServer('crash windows: receiver processes SIGKILLed mid-delivery', () => {
  let redis: PrivateRedis
  let client: Redis
  const victims: Partial<Record<NonNullable<ChildConfig['hang']>, ChildReceiver>> = {}
  let survivor: ChildReceiver

  beforeAll(async () => {
    redis = await startPrivateRedis()
    client = new Redis({ host: '127.0.0.1', port: redis.port })
    const base = { redisPort: redis.port, prefix: PREFIX, idempotentQueue: true }
    ;[victims['before-enqueue'], victims['after-enqueue'], victims['after-complete'], survivor] = await Promise.all([
      startChildReceiver({ ...base, ...ENQUEUE_HANG, hang: 'before-enqueue' }),
      startChildReceiver({ ...base, ...ENQUEUE_HANG, hang: 'after-enqueue' }),
      startChildReceiver({ ...base, ...COMPLETE_HANG, hang: 'after-complete' }),
      startChildReceiver({ ...base, ...SURVIVOR }),
    ])
  })

  afterAll(async () => {
    await Promise.all([...Object.values(victims), survivor].map((child) => child?.kill('SIGKILL')))
    client?.disconnect()
    await redis?.stop()
    await removeChildBundle()
  })

  const enqueued = () => client.lrange(`${PREFIX}enqueued`, 0, -1)
  const keyOf = (delivery: Delivery) => `stripe:default:${delivery.id}`

  /** Send `delivery` to the victim, wait until it hangs at its point, SIGKILL it; the sender sees no answer. */
  async function killMidDelivery(point: NonNullable<ChildConfig['hang']>, delivery: Delivery): Promise<void> {
    const victim = victims[point]!
    const answer = post(victim.port, delivery).then(
      (a) => a,
      (error: unknown) => error,
    )
    await waitFor(`the victim to hang ${point}`, () => victim.hung.includes(keyOf(delivery)))
    await victim.kill('SIGKILL')
    expect(await answer).toBeInstanceOf(Error)
  }

  it('killed after reserve, before enqueue: retries get 409 for the rest of the lease, then one goes through', async () => {
    const delivery = await signed('evt_crash_reserved')
    const key = keyOf(delivery)
    await killMidDelivery('before-enqueue', delivery)
    // The victim died holding the reservation: neither enqueued nor released.
    expect(await client.get(`${PREFIX}${key}`)).toMatch(/^r:/)
    expect(await enqueued()).not.toContain(key)

    const inLease = await post(survivor.port, delivery)
    expect([inLease.status, inLease.body.error?.code]).toEqual([409, 'event.in_flight'])
    expect(Number(inLease.headers['retry-after'])).toBeGreaterThanOrEqual(1)

    await waitFor('the lease to end', async () => (await client.exists(`${PREFIX}${key}`)) === 0, 100, 100)
    const retry = await post(survivor.port, delivery)
    expect([retry.status, retry.body.status]).toEqual([200, 'accepted'])
    const again = await post(survivor.port, delivery)
    expect([again.status, again.body.status]).toEqual([200, 'duplicate'])
    expect((await enqueued()).filter((k) => k === key)).toEqual([key])
  })

  it('killed after a durable enqueue, before complete: 409 inside the lease, then the retry re-enqueues idempotently', async () => {
    const delivery = await signed('evt_crash_enqueued')
    const key = keyOf(delivery)
    await killMidDelivery('after-enqueue', delivery)
    expect(await client.get(`${PREFIX}${key}`)).toMatch(/^r:/)
    expect((await enqueued()).filter((k) => k === key)).toEqual([key])

    expect((await post(survivor.port, delivery)).status).toBe(409)
    await waitFor('the lease to end', async () => (await client.exists(`${PREFIX}${key}`)) === 0, 100, 100)
    const retry = await post(survivor.port, delivery)
    // The store no longer knows the event, so it is accepted again; the queue's insert by key makes that a no-op.
    expect([retry.status, retry.body.status]).toEqual([200, 'accepted'])
    expect((await post(survivor.port, delivery)).body.status).toBe('duplicate')
    expect((await enqueued()).filter((k) => k === key)).toEqual([key])
  })

  it('killed after complete, before the 2xx: the retry is answered 200 duplicate and not enqueued again', async () => {
    const delivery = await signed('evt_crash_completed')
    const key = keyOf(delivery)
    await killMidDelivery('after-complete', delivery)
    expect(await client.get(`${PREFIX}${key}`)).toMatch(/^d:/)

    const retry = await post(survivor.port, delivery)
    expect([retry.status, retry.body.status, retry.headers['hookguard-duplicate']]).toEqual([200, 'duplicate', 'true'])
    expect((await enqueued()).filter((k) => k === key)).toEqual([key])
  })
})
