/**
 * A receiver in its own process for the PostgreSQL crash tests:
 * postgresStore and postgresQueue on one Pool (so intake is one
 * transaction), no worker here. With `hang` set, every intake stops at that
 * point, announces the key and never goes on, so the test can SIGKILL the
 * process right there.
 */
import pg from 'pg'
import { createReceiver } from '../../src/index.js'
import { postgresQueue, postgresStore } from '../../src/postgres.js'
import { INTAKE_PAUSE, type IntakePoint } from '../../src/queues/postgres/index.js'
import type { PgChildConfig } from './postgres-children.js'
import { makeProvider, serve } from './support.js'

const config = JSON.parse(process.env.HOOKGUARD_PG_CHILD ?? '{}') as PgChildConfig
const pool = new pg.Pool({ connectionString: config.url, max: 8 })
pool.on('error', () => {})

const queue = postgresQueue({
  pool,
  schema: config.schema,
  name: config.name,
  worker: false,
  logger: false,
  [INTAKE_PAUSE]: async (point: IntakePoint, key: string) => {
    if (point !== config.hang) return
    process.stdout.write(`${JSON.stringify({ hung: key })}\n`)
    await new Promise(() => {})
  },
} as Parameters<typeof postgresQueue>[0])

const receiver = createReceiver({
  provider: makeProvider(),
  store: postgresStore({ pool, table: config.table, logger: false }),
  queue,
  // Budgets far above the time a test takes to SIGKILL a hung delivery.
  storeTimeoutMs: 2000,
  queueTimeoutMs: 10_000,
  logger: false,
})

const server = await serve(receiver)
process.stdout.write(`${JSON.stringify({ listening: server.port })}\n`)
process.on('SIGTERM', () => {
  void server
    .close()
    .then(() => receiver.close())
    .then(() => pool.end())
    .then(() => process.exit(0))
})
