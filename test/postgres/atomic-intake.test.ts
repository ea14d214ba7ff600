/**
 * postgresQueue.atomicIntake with postgresStore on the same Pool: the dedupe
 * row and the job commit in one transaction. Needs PostgresStore to expose
 * the pool it was given (`store.pool`), which is how the queue knows the two
 * share a database and a connection pool.
 */
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReceiver, memoryStore } from '../../src/index.js'
import type { AtomicIntake } from '../../src/types/index.js'
import { migratePostgresStore, postgresQueue, postgresStore, type PostgresQueue } from '../../src/postgres.js'
import { INTAKE_PAUSE, type IntakePoint } from '../../src/queues/postgres/index.js'
import { sampleEvent } from '../../src/conformance/queue.js'
import { makeProvider, signed, sleep, waitFor } from '../faults/support.js'
import { capturingLogger } from '../support/log.js'
import { describeWithPostgres } from '../support/services.js'
import { dropSchema, freshQueue, newPool, uniqueSchema } from './queue-helpers.js'

const OPTIONS = { leaseMs: 30_000, retentionMs: 3_600_000 }

describeWithPostgres('postgresQueue.atomicIntake with postgresStore', () => {
  const schema = uniqueSchema('intake')
  const table = `${schema}.dedupe`
  const pool = newPool(10)
  const queues: PostgresQueue[] = []

  beforeAll(async () => {
    await pool.query(`CREATE SCHEMA "${schema}"`)
    await migratePostgresStore(pool, { table })
  })
  afterAll(async () => {
    await Promise.allSettled(queues.map((queue) => queue.close()))
    await dropSchema(pool, schema)
    await pool.end()
  })

  async function pair(extra: Record<string | symbol, unknown> = {}, on: pg.Pool = pool) {
    const name = await freshQueue(pool, schema)
    const queue = postgresQueue({ pool: on, schema, name, logger: false, pollIntervalMs: 20, ...extra })
    queues.push(queue)
    const store = postgresStore({ pool: on, table, logger: false })
    return { queue, store, intake: queue.atomicIntake(store) as AtomicIntake, name }
  }

  const dedupeRow = async (key: string) =>
    (
      await pool.query(
        `SELECT done, (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms FROM "${schema}".dedupe WHERE key = $1`,
        [key],
      )
    ).rows[0] as { done: boolean; remaining_ms: number } | undefined
  const jobs = async (name: string, key: string) =>
    Number(
      (await pool.query(`SELECT count(*) FROM "${schema}".job WHERE name = $1 AND singleton_key = $2`, [name, key]))
        .rows[0].count,
    )

  it('is offered only for a postgresStore on this very Pool', async () => {
    const { queue, store } = await pair()
    expect(typeof queue.atomicIntake(store)).toBe('function')
    const other = newPool(1)
    try {
      expect(queue.atomicIntake(postgresStore({ pool: other, table }))).toBeUndefined()
    } finally {
      await other.end()
    }
    expect(queue.atomicIntake(memoryStore())).toBeUndefined()
    // A wrapper around the store is not the store: the receiver then runs reserve → enqueue → complete.
    expect(queue.atomicIntake({ reserve: store.reserve, complete: store.complete, release: store.release })).toBe(
      undefined,
    )
  })

  it('accepted: one job, and a completed dedupe row kept for the retention', async () => {
    const { queue, intake, name } = await pair()
    const event = sampleEvent('stripe:default:evt_atomic_1')
    expect(await intake(event, OPTIONS)).toEqual({ status: 'accepted' })
    const row = await dedupeRow(event.key)
    expect(row?.done).toBe(true)
    expect(row!.remaining_ms).toBeGreaterThan(OPTIONS.retentionMs - 60_000)
    expect(row!.remaining_ms).toBeLessThanOrEqual(OPTIONS.retentionMs)
    expect(await jobs(name, event.key)).toBe(1)
    expect(await queue.stats()).toEqual({ pending: 1, running: 0, done: 0, dead: 0 })
  })

  it('duplicate: a completed, unexpired key adds no job', async () => {
    const { intake, name } = await pair()
    const event = sampleEvent('stripe:default:evt_atomic_dup')
    await intake(event, OPTIONS)
    expect(await intake(event, OPTIONS)).toEqual({ status: 'duplicate' })
    expect(await jobs(name, event.key)).toBe(1)
  })

  it('in_flight with retryAfterMs while another receiver holds the reservation; an expired one is taken over', async () => {
    const { store, intake, name } = await pair()
    const held = sampleEvent('stripe:default:evt_atomic_held')
    expect((await store.reserve(held.key, 5_000)).status).toBe('reserved')
    const answer = await intake(held, OPTIONS)
    expect(answer.status).toBe('in_flight')
    const retryAfterMs = (answer as { retryAfterMs: number }).retryAfterMs
    expect(retryAfterMs).toBeGreaterThan(3_000)
    expect(retryAfterMs).toBeLessThanOrEqual(5_000)
    expect(await jobs(name, held.key)).toBe(0)

    const lapsed = sampleEvent('stripe:default:evt_atomic_lapsed')
    const reservation = await store.reserve(lapsed.key, 50)
    await sleep(120)
    expect(await intake(lapsed, OPTIONS)).toEqual({ status: 'accepted' })
    expect(await jobs(name, lapsed.key)).toBe(1)
    // The crashed owner's late complete finds its token gone and changes nothing.
    expect(await store.complete(lapsed.key, (reservation as { token: string }).token, 60_000)).toBe(false)
  })

  it.each<IntakePoint>(['after-reserve', 'after-enqueue', 'before-commit'])(
    'a failure %s rolls everything back: no dedupe row, no job, and the retry is accepted',
    async (point) => {
      let failAt: IntakePoint | undefined = point
      const { intake, name } = await pair({
        [INTAKE_PAUSE]: (at: IntakePoint) => {
          if (at === failAt) throw new Error(`injected failure ${at}`)
        },
      })
      const event = sampleEvent(`stripe:default:evt_atomic_rollback_${point}`)
      await expect(intake(event, OPTIONS)).rejects.toThrow(`injected failure ${point}`)
      expect(await dedupeRow(event.key)).toBeUndefined()
      expect(await jobs(name, event.key)).toBe(0)
      failAt = undefined
      expect(await intake(event, OPTIONS)).toEqual({ status: 'accepted' })
      expect(await jobs(name, event.key)).toBe(1)
    },
  )

  it('concurrent intakes of one key from two pools: one accepted, one job', async () => {
    const name = await freshQueue(pool, schema)
    const pools = [newPool(6), newPool(6)]
    try {
      const intakes = pools.map((p) => {
        const queue = postgresQueue({ pool: p, schema, name, logger: false, worker: false })
        queues.push(queue)
        return queue.atomicIntake(postgresStore({ pool: p, table, logger: false }))!
      })
      const event = sampleEvent('stripe:default:evt_atomic_race')
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => intakes[i % 2]!(event, OPTIONS)))
      const statuses = answers.map((a) => a.status)
      expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1)
      expect(statuses.every((s) => ['accepted', 'duplicate', 'in_flight'].includes(s))).toBe(true)
      expect(await jobs(name, event.key)).toBe(1)
    } finally {
      await Promise.all(pools.map((p) => p.end()))
    }
  })

  it('a receiver with the pair takes the atomic path: accepted once, duplicate after, handler once', async () => {
    const points: IntakePoint[] = []
    const { queue, store } = await pair({ [INTAKE_PAUSE]: (at: IntakePoint) => void points.push(at) })
    const handled: string[] = []
    const receiver = createReceiver({
      provider: makeProvider(),
      store,
      queue,
      handler: (event) => void handled.push(event.id),
      logger: false,
    })
    try {
      const delivery = await signed('evt_atomic_receiver')
      const send = () => receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
      const first = await send()
      expect([first.status, first.outcome.kind]).toEqual([200, 'accepted'])
      expect(points).toEqual(['before-begin', 'after-reserve', 'after-enqueue', 'before-commit', 'after-commit'])
      const again = await send()
      expect([again.status, again.outcome.kind]).toEqual([200, 'duplicate'])
      await waitFor('the handler', () => handled.length === 1)
      await sleep(200)
      expect(handled).toEqual(['evt_atomic_receiver'])
    } finally {
      await receiver.close()
    }
  })

  it('a dead-lettered event: the worker re-admits its key, and the re-send revives the job', async () => {
    let healthy = false
    const { queue, store } = await pair({ attempts: 1 })
    const receiver = createReceiver({
      provider: makeProvider(),
      store,
      queue,
      handler: () => {
        if (!healthy) throw new Error('handler down')
      },
      logger: false,
    })
    try {
      const delivery = await signed('evt_atomic_dead')
      const send = () => receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
      expect((await send()).outcome.kind).toBe('accepted')
      await waitFor('the dead letter', async () => (await queue.stats()).dead === 1)
      const [letter] = await queue.deadLetters()
      expect(letter).toMatchObject({ key: 'stripe:default:evt_atomic_dead', attempts: 1, error: 'Error: handler down' })
      // store.forget runs right after the dead letter; the provider's re-send is accepted, not a duplicate.
      await waitFor('the key to be re-admitted', async () => (await dedupeRow(letter!.key)) === undefined)
      healthy = true
      expect((await send()).outcome.kind).toBe('accepted')
      await waitFor('the revived job', async () => (await queue.stats()).done === 1)
      expect(await queue.stats()).toEqual({ pending: 0, running: 0, done: 1, dead: 0 })
    } finally {
      await receiver.close()
    }
  })

  it('a missing dedupe table is a 503 and one log line naming migratePostgresStore', async () => {
    const name = await freshQueue(pool, schema)
    const logger = capturingLogger()
    const queue = postgresQueue({ pool, schema, name, logger, worker: false })
    queues.push(queue)
    const missing = `${schema}.not_migrated`
    const receiver = createReceiver({
      provider: makeProvider(),
      store: postgresStore({ pool, table: missing, logger: false }),
      queue,
      logger: false,
    })
    const delivery = await signed('evt_atomic_no_table')
    for (let i = 0; i < 3; i++) {
      const answer = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
      expect([answer.status, answer.outcome.kind]).toEqual([503, 'unavailable'])
    }
    expect(
      logger.lines.filter((line) => line.includes(`migratePostgresStore(pool, { table: '${missing}' })`)),
    ).toHaveLength(1)
    expect(await queue.stats()).toEqual({ pending: 0, running: 0, done: 0, dead: 0 })
    await receiver.close()
  })
})

describe('postgresQueue.atomicIntake without a database', () => {
  it('is undefined for stores that are not a postgresStore on the same pool', () => {
    const fake = { query: async () => ({ rows: [], rowCount: 0 }), connect: async () => ({}), totalCount: 0 }
    const queue = postgresQueue({ pool: fake as never, logger: false })
    expect(queue.atomicIntake(memoryStore())).toBeUndefined()
    expect(queue.atomicIntake({ ...memoryStore(), pool: fake, table: 'x"; DROP TABLE y; --' } as never)).toBeUndefined()
  })
})
