/**
 * A worker in its own process for the PostgreSQL crash tests: createWorker
 * over postgresQueue, with the receivers' store (dead letters re-admit their
 * key). Every handler run is recorded in `config.runs` (key, pid, attempt)
 * before it returns; an event whose id starts with `evt_freeze_` freezes on
 * its first attempt, so the test can SIGKILL the worker mid-handler.
 */
import pg from 'pg'
import { createWorker } from '../../src/index.js'
import { postgresQueue, postgresStore } from '../../src/postgres.js'
import type { PgChildConfig } from './postgres-children.js'
import { sleep } from './support.js'

const config = JSON.parse(process.env.HOOKGUARD_PG_CHILD ?? '{}') as PgChildConfig
const pool = new pg.Pool({ connectionString: config.url, max: 8 })
pool.on('error', () => {})

const worker = createWorker({
  queue: postgresQueue({
    pool,
    schema: config.schema,
    name: config.name,
    worker: true,
    concurrency: 4,
    pollIntervalMs: 50,
    visibilityTimeoutMs: 2000,
    maintenanceIntervalMs: 1000,
    logger: false,
  }),
  store: postgresStore({ pool, table: config.table, logger: false }),
  logger: false,
  async handler(event) {
    await pool.query(`INSERT INTO ${config.runs} (key, pid, attempt) VALUES ($1, $2, $3)`, [
      event.key,
      process.pid,
      event.attempt,
    ])
    if (event.id.startsWith('evt_freeze_') && event.attempt === 1) {
      process.stdout.write(`${JSON.stringify({ hung: event.key })}\n`)
      await new Promise(() => {})
    }
    // A little work, so a burst spreads over both workers.
    await sleep(5)
  },
})

await worker.ready
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
process.on('SIGTERM', () => {
  void worker
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0))
})
