import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReceiver } from '../../src/index.js'
import { migratePostgresQueue, postgresQueue, type PostgresQueue } from '../../src/postgres.js'
import { sampleEvent } from '../../src/conformance/queue.js'
import { countingQueue, makeProvider, signed, sleep, waitFor } from '../faults/support.js'
import { capturingLogger } from '../support/log.js'
import { describeWithPostgres } from '../support/services.js'
import type { WebhookEvent } from '../../src/types/index.js'
import { dropSchema, freshQueue, newPool, uniqueSchema } from './queue-helpers.js'

// Only the shape checkPool looks for; these tests never reach the database.
const fakePool = { query: async () => ({ rows: [], rowCount: 0 }), connect: async () => ({}), totalCount: 0 }

describe('postgresQueue options', () => {
  it('refuses a missing pool, or a single Client, with a TypeError naming the fix', () => {
    expect(() => postgresQueue(undefined as never)).toThrow(TypeError)
    expect(() => postgresQueue({} as never)).toThrow(/pool is required and must be a pg Pool/)
    const client = new pg.Client()
    expect(() => postgresQueue({ pool: client as never })).toThrow(/a single Client cannot/)
  })

  it('validates schema and name as identifiers', async () => {
    for (const schema of ['', 'Hook', 'a.b', 'x"; DROP SCHEMA public; --', 'x'.repeat(49), 42]) {
      expect(() => postgresQueue({ pool: fakePool as never, schema: schema as never }), String(schema)).toThrow(
        TypeError,
      )
      await expect(migratePostgresQueue(fakePool as never, { schema: schema as never })).rejects.toThrow(TypeError)
    }
    for (const name of ['', "a'b", 'a b', 'x'.repeat(65), 7]) {
      expect(() => postgresQueue({ pool: fakePool as never, name: name as never }), String(name)).toThrow(TypeError)
    }
    const queue = postgresQueue({ pool: fakePool as never })
    expect([queue.schema, queue.name]).toEqual(['hookguard_pgboss', 'hookguard'])
  })

  it('refuses bad numbers and unknown options at construction', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ visibilityTimeoutMs: 500 }, /visibilityTimeoutMs must be an integer >= 1000/],
      [{ retentionMs: 1000 }, /retentionMs must be an integer >= 60000/],
      [{ deadRetentionMs: 0 }, /deadRetentionMs/],
      [{ maintenanceIntervalMs: 10 }, /maintenanceIntervalMs/],
      [{ concurrency: 0 }, /concurrency/],
      [{ attempts: 0 }, /attempts/],
      [{ worker: 'yes' }, /worker must be a boolean/],
      [{ concurency: 2 }, /unknown option 'concurency' — did you mean 'concurrency'\?/],
    ]
    for (const [options, message] of bad) {
      expect(() => postgresQueue({ pool: fakePool as never, ...options }), JSON.stringify(options)).toThrow(message)
    }
  })

  it('a producer-only queue refuses a handler at createReceiver, naming createWorker', () => {
    const queue = postgresQueue({ pool: fakePool as never, worker: false })
    expect(() => createReceiver({ provider: makeProvider(), queue, handler: () => {}, logger: false })).toThrow(
      /createWorker/,
    )
  })
})

describeWithPostgres('postgresQueue on PostgreSQL', () => {
  const schema = uniqueSchema('queue')
  const pool = newPool(8)
  const queues: PostgresQueue[] = []
  const track = (queue: PostgresQueue): PostgresQueue => (queues.push(queue), queue)

  beforeAll(async () => {
    await pool.query('SELECT 1')
  })
  afterAll(async () => {
    await Promise.allSettled(queues.map((queue) => queue.close()))
    await dropSchema(pool, schema)
    await pool.end()
  })

  it('migration is idempotent and safe from several instances at once', async () => {
    const name = 'concurrent'
    const pools = [newPool(2), newPool(2), newPool(2)]
    try {
      await Promise.all(pools.map((p) => migratePostgresQueue(p, { schema, name })))
      await migratePostgresQueue(pool, { schema, name })
    } finally {
      await Promise.all(pools.map((p) => p.end()))
    }
    const { rows } = await pool.query(
      `SELECT q.policy, i.indexname FROM "${schema}".queue q
       JOIN pg_indexes i ON i.schemaname = $1 AND i.tablename = q.partition_name AND i.indexname LIKE '%_hgkey'
       WHERE q.name = $2`,
      [schema, name],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0].policy).toBe('standard')
    const queue = track(postgresQueue({ pool, schema, name, logger: false }))
    await queue.enqueue(sampleEvent('k:migrated'))
    expect(await queue.stats()).toMatchObject({ pending: 1 })
  })

  it('before the migration: enqueue fails with one log line naming it; a receiver answers 503 and enqueues nothing', async () => {
    const lonely = uniqueSchema('unmigrated')
    const logger = capturingLogger()
    const queue = track(postgresQueue({ pool, schema: lonely, name: 'jobs', logger }))
    const failure = await queue.enqueue(sampleEvent('k:early')).catch((error: Error) => error)
    expect(String(failure)).toContain(`migratePostgresQueue(pool, { schema: '${lonely}', name: 'jobs' })`)
    const receiver = createReceiver({ provider: makeProvider(), queue, logger: false })
    const delivery = await signed('evt_before_migration')
    const answer = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
    expect([answer.status, answer.outcome]).toEqual([
      503,
      expect.objectContaining({ kind: 'unavailable', code: 'queue.unavailable' }),
    ])
    expect(logger.lines.filter((line) => line.includes('run migratePostgresQueue'))).toHaveLength(1)
    try {
      await queue.migrate()
      const retry = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
      expect([retry.status, retry.outcome.kind]).toEqual([200, 'accepted'])
      expect(await queue.stats()).toEqual({ pending: 1, running: 0, done: 0, dead: 0 })
    } finally {
      await receiver.close()
      await dropSchema(pool, lonely)
    }
  })

  it('a pg-boss queue without hookguard’s key index is refused, not used without dedupe', async () => {
    const name = await freshQueue(pool, schema)
    const { rows } = await pool.query(`SELECT partition_name FROM "${schema}".queue WHERE name = $1`, [name])
    await pool.query(`DROP INDEX "${schema}"."${rows[0].partition_name}_hgkey"`)
    const queue = track(postgresQueue({ pool, schema, name, logger: false }))
    await expect(queue.enqueue(sampleEvent('k:unindexed'))).rejects.toThrow(/dedupe-key index .* is missing/)
    await queue.migrate()
    await queue.enqueue(sampleEvent('k:unindexed'))
    await queue.enqueue(sampleEvent('k:unindexed'))
    expect(await queue.stats()).toMatchObject({ pending: 1 })
  })

  it('an event with NUL and lone surrogates (which jsonb refuses) comes back unchanged', async () => {
    const name = await freshQueue(pool, schema)
    const queue = track(postgresQueue({ pool, schema, name, logger: false, pollIntervalMs: 20 }))
    const event = sampleEvent('k:odd', {
      payload: { text: 'a\u0000b', lone: 'x\ud800y', tail: '\udfff', pair: '😀', slash: '\\u0000' },
      meta: { note: 'n\u0000' },
    })
    const seen: WebhookEvent[] = []
    await queue.enqueue(event)
    await queue.process((e) => void seen.push(e))
    await waitFor('the handler', () => seen.length === 1)
    expect(seen[0]).toStrictEqual({ ...event, attempt: 1 })
    // A key PostgreSQL text cannot hold exactly is refused before it could collide with another.
    for (const key of ['k:nul\u0000', 'k:lone\ud800'])
      await expect(queue.enqueue(sampleEvent(key))).rejects.toThrow(/well-formed Unicode without NUL/)
  })

  it('a dead letter keeps the last error, even one jsonb could not hold', async () => {
    const name = await freshQueue(pool, schema)
    const queue = track(postgresQueue({ pool, schema, name, attempts: 1, logger: false, pollIntervalMs: 20 }))
    await queue.process(() => {
      throw new RangeError('bad \u0000 byte \ud800')
    })
    await queue.enqueue(sampleEvent('k:bad-error'))
    await waitFor('the dead letter', async () => (await queue.stats()).dead === 1)
    const [letter] = await queue.deadLetters()
    expect(letter).toMatchObject({ key: 'k:bad-error', attempts: 1, error: 'RangeError: bad \ufffd byte \ufffd' })
  })

  it('retries wait the backoff: exponential with jitter, in ms', async () => {
    const name = await freshQueue(pool, schema)
    const delays: number[] = []
    const runs: number[] = []
    const queue = track(
      postgresQueue({
        pool,
        schema,
        name,
        attempts: 4,
        backoffMs: 200,
        logger: false,
        pollIntervalMs: 20,
        onRetry: (_event, _error, delayMs) => void delays.push(delayMs),
      }),
    )
    await queue.process(() => {
      runs.push(Date.now())
      throw new Error('down')
    })
    await queue.enqueue(sampleEvent('k:backoff'))
    await waitFor('the dead letter', async () => (await queue.stats()).dead === 1, 400)
    expect(runs).toHaveLength(4)
    // Equal jitter: the n-th delay lies in [base·2ⁿ⁻¹/2, base·2ⁿ⁻¹].
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual((200 * 2 ** i) / 2)
      expect(delay).toBeLessThanOrEqual(200 * 2 ** i)
      // The next run came no earlier than the delay (the database clock and this one are the same machine's).
      expect(runs[i + 1]! - runs[i]!).toBeGreaterThanOrEqual(delay - 5)
    })
  })

  it('the heartbeat keeps a long handler’s claim: a second worker never runs it while it is alive', async () => {
    const name = await freshQueue(pool, schema)
    const settings = { pool, schema, name, logger: false as const, pollIntervalMs: 50 }
    const fast = { visibilityTimeoutMs: 1000, maintenanceIntervalMs: 1000 }
    const a = track(postgresQueue({ ...settings, ...fast }))
    const b = track(postgresQueue({ ...settings, ...fast }))
    const runs: string[] = []
    const handler = (who: string) => async () => {
      runs.push(who)
      await sleep(3500)
    }
    await a.process(handler('a'))
    await b.process(handler('b'))
    await a.enqueue(sampleEvent('k:long'))
    await waitFor('the run to finish', async () => (await a.stats()).done === 1, 400)
    expect(runs).toHaveLength(1)
  })

  it('close() lets an enqueue under way commit, and leaves the pool open', async () => {
    const name = await freshQueue(pool, schema)
    const queue = postgresQueue({ pool, schema, name, logger: false })
    const pending = queue.enqueue(sampleEvent('k:closing'))
    await queue.close()
    await pending
    const other = track(postgresQueue({ pool, schema, name, logger: false }))
    expect(await other.stats()).toMatchObject({ pending: 1 })
    await expect(queue.stats()).rejects.toThrow(/closed/)
  })

  it('a plain receiver (memory store) enqueues through it and its worker runs the handler once', async () => {
    const name = await freshQueue(pool, schema)
    const queue = postgresQueue({ pool, schema, name, logger: false, pollIntervalMs: 20 })
    const handled: string[] = []
    const receiver = createReceiver({
      provider: makeProvider(),
      queue,
      handler: (event) => void handled.push(event.id),
      logger: false,
    })
    try {
      const delivery = await signed('evt_pg_queue_plain')
      const answers = await Promise.all(
        [1, 2].map(() => receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })),
      )
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409])
      await waitFor('the handler', () => handled.length === 1)
      await sleep(200)
      expect(handled).toEqual(['evt_pg_queue_plain'])
    } finally {
      await receiver.close()
    }
    // Nothing left running after close.
    expect(countingQueue().keys).toEqual([])
  })
})
