/**
 * Dedupe retention covers the replay window: the receiver refuses a retention
 * shorter than twice the provider's tolerance, and on Redis and PostgreSQL a
 * replay of an accepted event, at any point its signature is still accepted,
 * is a duplicate and never a second enqueue.
 */
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReceiver, memoryStore, type DedupeStore } from '../../src/index.js'
import { migratePostgresStore, postgresStore } from '../../src/postgres.js'
import { redisStore } from '../../src/redis.js'
import { fixedClock } from '../../src/testing.js'
import { DATABASE_URL, describeWithPostgres, describeWithRedis, REDIS_URL } from '../support/services.js'
import { countingQueue, makeProvider, signed } from './support.js'

const TOLERANCE_S = 300
const RETENTION_MS = 2 * TOLERANCE_S * 1000

describe('retention vs the replay window', () => {
  it('refuses retentionMs below twice the tolerance with a TypeError, on any store', () => {
    const provider = makeProvider()
    expect(provider.tolerance).toBe(TOLERANCE_S)
    expect(() => createReceiver({ provider, store: memoryStore(), retentionMs: RETENTION_MS - 1 })).toThrow(TypeError)
    expect(() => createReceiver({ provider, store: memoryStore(), retentionMs: RETENTION_MS - 1 })).toThrow(
      /twice the stripe tolerance/,
    )
    expect(() => createReceiver({ provider, store: memoryStore(), retentionMs: RETENTION_MS })).not.toThrow()
  })
})

/**
 * Accept an event signed almost a full tolerance ago, then replay it from
 * receivers whose clocks sit anywhere in the window where that signature
 * still verifies. `remainingMs(key)` reads the store's own expiry.
 */
function replayWindowCases(make: () => DedupeStore, remainingMs: (key: string) => Promise<number>) {
  it('keeps the key for as long as the signature verifies, and answers every replay inside that window as a duplicate', async () => {
    const store = make()
    const queue = countingQueue()
    const id = `evt_replay_${process.pid}_${Date.now()}`
    const key = `stripe:default:${id}`
    const signedAt = Math.floor(Date.now() / 1000) - (TOLERANCE_S - 20)
    const delivery = await signed(id, signedAt)
    const receiver = createReceiver({
      provider: makeProvider(),
      store,
      queue,
      retentionMs: RETENTION_MS,
      logger: false,
    })
    const first = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
    expect([first.status, first.outcome.kind]).toEqual([200, 'accepted'])

    // The last moment a replay of these bytes verifies is signedAt + tolerance; the store must still hold the key then.
    const replayableForMs = (signedAt + TOLERANCE_S) * 1000 - Date.now()
    expect(await remainingMs(key)).toBeGreaterThan(replayableForMs)

    // Replays seen by instances whose clocks are anywhere inside the window (including its far edge).
    for (const offsetS of [0, 10, 15]) {
      const clock = fixedClock(Date.now() + offsetS * 1000)
      const replayer = createReceiver({
        provider: makeProvider(),
        store,
        queue,
        retentionMs: RETENTION_MS,
        now: clock,
        logger: false,
      })
      const replay = await replayer.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
      expect([replay.status, replay.outcome.kind]).toEqual([200, 'duplicate'])
    }
    // A fresh signature of the same event id is the same event.
    const resent = await signed(id)
    expect((await receiver.handle({ method: 'POST', headers: resent.headers, body: resent.body })).outcome.kind).toBe(
      'duplicate',
    )
    expect(queue.count(key)).toBe(1)
  })
}

describeWithRedis('retention on Redis', () => {
  const prefix = `hookguard-test:retention:${process.pid}:${Date.now()}:`
  let client: Redis
  beforeAll(() => {
    client = new Redis(REDIS_URL!)
  })
  afterAll(async () => {
    const keys = await client.keys(`${prefix}*`)
    if (keys.length > 0) await client.del(...keys)
    await client.quit()
  })
  replayWindowCases(
    () => redisStore({ client, prefix }),
    async (key) => client.pttl(`${prefix}${key}`),
  )
})

describeWithPostgres('retention on PostgreSQL', () => {
  const table = `hg_retention_${process.pid}_${Date.now().toString(36)}`
  let pool: pg.Pool
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
    await migratePostgresStore(pool, { table })
  })
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`)
    await pool.end()
  })
  replayWindowCases(
    () => postgresStore({ pool, table }),
    async (key) => {
      const { rows } = await pool.query(
        `SELECT extract(epoch FROM expires_at - clock_timestamp()) * 1000 AS ms FROM "${table}" WHERE key = $1 AND done`,
        [key],
      )
      return Number(rows[0]?.ms ?? -1)
    },
  )
})
