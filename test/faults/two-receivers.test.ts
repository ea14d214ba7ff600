/**
 * Race: two receiver processes share one Redis for dedupe and are hit at
 * once by the same deliveries, many times over. Each distinct event is
 * enqueued exactly once; the others get 409 while the winner is enqueueing
 * and 200 duplicate after it completed.
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
  type Answer,
  type ChildReceiver,
  type Delivery,
} from './support.js'

const PREFIX = 'two:'
const GATE = 'two:gate'

describeWithRedisServer('race: two receiver processes sharing Redis', () => {
  let redis: PrivateRedis
  let client: Redis
  let children: ChildReceiver[] = []

  beforeAll(async () => {
    redis = await startPrivateRedis()
    client = new Redis({ host: '127.0.0.1', port: redis.port })
    await client.set(GATE, 'open')
    // Generous budgets: this test is about exactly-once, and a loaded CI machine must not turn it into 503s.
    const config = {
      redisPort: redis.port,
      prefix: PREFIX,
      leaseMs: 11_000,
      storeTimeoutMs: 3000,
      queueTimeoutMs: 5000,
      enqueueDelayMs: 100,
      gateKey: GATE,
    }
    children = await Promise.all([startChildReceiver(config), startChildReceiver(config)])
  })

  afterAll(async () => {
    await Promise.all(children.map((child) => child.kill('SIGKILL')))
    client?.disconnect()
    await redis?.stop()
    await removeChildBundle()
  })

  const enqueued = async () => client.lrange(`${PREFIX}enqueued`, 0, -1)
  const ports = () => children.map((child) => child.port)

  it('enqueues each distinct event exactly once under a storm of concurrent duplicates on both processes', async () => {
    const events = await Promise.all(Array.from({ length: 12 }, (_, i) => signed(`evt_storm_${i}`)))
    // 6 copies of each event, interleaved, alternating between the two processes, all in flight together.
    const shots: Array<{ delivery: Delivery; port: number }> = []
    for (let copy = 0; copy < 6; copy++)
      events.forEach((delivery, i) => shots.push({ delivery, port: ports()[(i + copy) % 2]! }))
    const answers = await Promise.all(shots.map(({ delivery, port }) => post(port, delivery)))

    const byEvent = new Map<string, Answer[]>()
    shots.forEach(({ delivery }, i) => byEvent.set(delivery.id, [...(byEvent.get(delivery.id) ?? []), answers[i]!]))
    for (const [id, list] of byEvent) {
      expect(
        list.filter((a) => a.body.status === 'accepted'),
        `${id}: ${list.map((a) => a.body.error?.code ?? a.status).join(' ')}`,
      ).toHaveLength(1)
      for (const a of list) {
        if (a.body.status === 'accepted') expect(a.status).toBe(200)
        else if (a.status === 409)
          expect([a.body.error?.code, a.headers['retry-after']]).toEqual([
            'event.in_flight',
            expect.stringMatching(/^[1-9][0-9]*$/),
          ])
        else expect([a.status, a.body.status]).toEqual([200, 'duplicate'])
      }
    }
    // The 100 ms enqueue makes the in-flight window real: some copies must have met it.
    expect(answers.filter((a) => a.status === 409).length).toBeGreaterThan(0)

    const keys = await enqueued()
    expect(keys).toHaveLength(12)
    expect(new Set(keys)).toEqual(new Set(events.map((e) => `stripe:default:${e.id}`)))

    // Once the winners completed, every copy on either process is a duplicate.
    const later = await Promise.all(events.flatMap((delivery) => ports().map((port) => post(port, delivery))))
    expect(later.map((a) => a.body.status ?? a.body.error?.code)).toEqual(later.map(() => 'duplicate'))
    expect(await enqueued()).toHaveLength(12)
  })

  it('answers 409 on both processes while the winner is still enqueueing, then 200 duplicate once it completed', async () => {
    await client.del(GATE)
    const events = await Promise.all(Array.from({ length: 4 }, (_, i) => signed(`evt_gate_${i}`)))
    const before = (await enqueued()).length
    // Winners go to the first process and wait at the gate, holding their reservations.
    const winners = events.map((delivery) => post(ports()[0]!, delivery))
    await waitFor(
      'the winners to reserve',
      async () => (await client.keys(`${PREFIX}stripe:default:evt_gate_*`)).length === events.length,
    )

    const losers = await Promise.all(
      events.flatMap((delivery) => [...ports(), ...ports()].map((port) => post(port, delivery))),
    )
    expect(losers.map((a) => a.status)).toEqual(losers.map(() => 409))

    await client.set(GATE, 'open')
    expect((await Promise.all(winners)).map((a) => [a.status, a.body.status])).toEqual(
      events.map(() => [200, 'accepted']),
    )
    const after = await Promise.all(events.flatMap((delivery) => ports().map((port) => post(port, delivery))))
    expect(after.map((a) => [a.status, a.body.status])).toEqual(after.map(() => [200, 'duplicate']))
    expect((await enqueued()).slice(before).sort()).toEqual(events.map((e) => `stripe:default:${e.id}`).sort())
  })
})
