/**
 * Crash windows with postgresStore + postgresQueue on one Pool, where
 * reserve, enqueue and complete are one transaction. A receiver process is
 * SIGKILLed at every point of the intake — before BEGIN, after the dedupe
 * row, after the job insert, before COMMIT, after COMMIT before the 2xx —
 * and the sender retries against a fresh process. Before COMMIT nothing is
 * left behind (no reservation to wait out: the retry is accepted at once);
 * after it, the retry is a duplicate. Two worker processes run all the while:
 * every event is handled exactly once. A worker SIGKILLed mid-handler loses
 * its job to the other worker after the visibility timeout (at least once).
 */
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { migratePostgresQueue, migratePostgresStore, postgresQueue, postgresStore } from '../../src/postgres.js'
import type { IntakePoint } from '../../src/queues/postgres/index.js'
import { DATABASE_URL, describeWithPostgres } from '../support/services.js'
import { removeBundles, startPgReceiver, startPgWorker, type PgChild, type PgChildConfig } from './postgres-children.js'
import { post, signed, sleep, waitFor, type Delivery } from './support.js'

const POINTS: IntakePoint[] = ['before-begin', 'after-reserve', 'after-enqueue', 'before-commit', 'after-commit']
const PER_POINT = 3

describeWithPostgres('crash windows: postgres atomic intake, receivers SIGKILLed at every point', () => {
  const schema = `hgq_crash_${process.pid}_${Date.now().toString(36)}`
  const config: PgChildConfig = {
    url: DATABASE_URL ?? '',
    schema,
    name: 'webhooks',
    table: `${schema}.dedupe`,
    runs: `"${schema}".runs`,
  }
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
  const workers: PgChild[] = []
  const children: PgChild[] = []
  const keyOf = (delivery: Delivery) => `stripe:default:${delivery.id}`

  beforeAll(async () => {
    await admin.query(`CREATE SCHEMA "${schema}"`)
    await migratePostgresStore(admin, { table: config.table })
    await migratePostgresQueue(admin, { schema, name: config.name })
    await admin.query(`CREATE TABLE ${config.runs} (key text NOT NULL, pid int NOT NULL, attempt int NOT NULL)`)
    workers.push(...(await Promise.all([startPgWorker(config), startPgWorker(config)])))
  })

  afterAll(async () => {
    await Promise.allSettled([...workers, ...children].map((child) => child.kill('SIGKILL')))
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await admin.end()
    await removeBundles()
  })

  async function receiver(hang?: IntakePoint): Promise<PgChild> {
    const child = await startPgReceiver({ ...config, ...(hang ? { hang } : {}) })
    children.push(child)
    return child
  }

  /** The dedupe row's state and the number of jobs for `key`, as other sessions see them. */
  async function committed(key: string): Promise<{ dedupe: 'done' | 'reserved' | 'none'; jobs: number }> {
    const row = await admin.query(`SELECT done FROM ${config.table} WHERE key = $1`, [key])
    const jobs = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".job WHERE singleton_key = $1`, [key])
    const dedupe = row.rows[0] === undefined ? 'none' : row.rows[0].done ? 'done' : 'reserved'
    return { dedupe, jobs: jobs.rows[0].n }
  }

  async function runsOf(keys: string[]): Promise<Map<string, number[]>> {
    const { rows } = await admin.query(`SELECT key, pid FROM ${config.runs} WHERE key = ANY($1)`, [keys])
    const runs = new Map<string, number[]>()
    for (const row of rows) runs.set(row.key, [...(runs.get(row.key) ?? []), row.pid])
    return runs
  }

  it('the receivers take the one-transaction path (postgresStore exposes the Pool the queue shares)', () => {
    const queue = postgresQueue({ pool: admin, schema, name: config.name, worker: false, logger: false })
    expect(queue.atomicIntake(postgresStore({ pool: admin, table: config.table, logger: false }))).toBeTypeOf(
      'function',
    )
  })

  it.each(POINTS)(
    'SIGKILL %s: the retry to a fresh process is answered once, and the event is handled once',
    async (point) => {
      const deliveries = await Promise.all(Array.from({ length: PER_POINT }, (_, i) => signed(`evt_${point}_${i}`)))
      const keys = deliveries.map(keyOf)
      const victim = await receiver(point)
      const answers = deliveries.map((d) =>
        post(victim.port, d).then(
          (a) => a,
          (error: unknown) => error,
        ),
      )
      await waitFor(`every delivery to reach ${point}`, () => keys.every((key) => victim.hung.includes(key)))
      await victim.kill('SIGKILL')
      for (const answer of await Promise.all(answers)) expect(answer).toBeInstanceOf(Error)

      // All or nothing: before COMMIT no other session ever sees the row or the job.
      const afterCommit = point === 'after-commit'
      for (const key of keys) {
        expect(await committed(key)).toEqual(afterCommit ? { dedupe: 'done', jobs: 1 } : { dedupe: 'none', jobs: 0 })
      }

      const fresh = await receiver()
      for (const delivery of deliveries) {
        const retry = await post(fresh.port, delivery)
        expect([retry.status, retry.body.status]).toEqual([200, afterCommit ? 'duplicate' : 'accepted'])
        const again = await post(fresh.port, delivery)
        expect([again.status, again.body.status]).toEqual([200, 'duplicate'])
      }
      await fresh.kill()
      for (const key of keys) expect(await committed(key)).toEqual({ dedupe: 'done', jobs: 1 })

      await waitFor('both workers to handle every event', async () => (await runsOf(keys)).size === keys.length)
      await sleep(300)
      const runs = await runsOf(keys)
      for (const key of keys) expect(runs.get(key), key).toHaveLength(1)
    },
    30_000,
  )

  it('a burst through two receivers is handled exactly once per event, by both worker processes', async () => {
    const [a, b] = await Promise.all([receiver(), receiver()])
    const deliveries = await Promise.all(Array.from({ length: 120 }, (_, i) => signed(`evt_burst_${i}`)))
    const keys = deliveries.map(keyOf)
    // Every delivery goes to both receivers at once: the two intakes race on one key.
    for (let i = 0; i < deliveries.length; i += 12) {
      const batch = deliveries.slice(i, i + 12)
      const answers = await Promise.all(batch.flatMap((d) => [post(a!.port, d), post(b!.port, d)]))
      for (let j = 0; j < batch.length; j++) {
        const pair = [answers[2 * j]!, answers[2 * j + 1]!]
        expect(
          pair.filter((x) => x.status === 200 && x.body.status === 'accepted'),
          batch[j]!.id,
        ).toHaveLength(1)
        expect(pair.every((x) => x.status === 200 || x.status === 409)).toBe(true)
      }
    }
    await Promise.all([a!.kill(), b!.kill()])
    await waitFor('every burst event to be handled', async () => (await runsOf(keys)).size === keys.length, 400)
    await sleep(300)
    const runs = await runsOf(keys)
    for (const key of keys) expect(runs.get(key), key).toHaveLength(1)
    const pids = new Set([...runs.values()].flat())
    expect([...pids].sort()).toEqual(workers.map((w) => w.process.pid).sort())
  }, 60_000)

  it('a worker SIGKILLed mid-handler: the other worker runs the job again after the visibility timeout', async () => {
    const fresh = await receiver()
    const delivery = await signed('evt_freeze_1')
    const key = keyOf(delivery)
    expect((await post(fresh.port, delivery)).body.status).toBe('accepted')
    await waitFor('a worker to freeze on the job', () => workers.some((w) => w.hung.includes(key)))
    const frozen = workers.find((w) => w.hung.includes(key))!
    const survivor = workers.find((w) => w !== frozen)!
    await frozen.kill('SIGKILL')
    await waitFor('the survivor to run it', async () => (await runsOf([key])).get(key)?.length === 2, 200, 50)
    const { rows } = await admin.query(`SELECT pid, attempt FROM ${config.runs} WHERE key = $1 ORDER BY attempt`, [key])
    expect(rows).toEqual([
      { pid: frozen.process.pid, attempt: 1 },
      { pid: survivor.process.pid, attempt: 2 },
    ])
    await waitFor('the job to be done', async () => {
      const job = await admin.query(`SELECT state::text FROM "${schema}".job WHERE singleton_key = $1`, [key])
      return job.rows[0]?.state === 'completed'
    })
    await fresh.kill()
  }, 30_000)
})
