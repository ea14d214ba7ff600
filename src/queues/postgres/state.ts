/**
 * Internal: the state one `postgresQueue` instance shares between its parts,
 * the way it runs statements (a schema that was never migrated becomes an
 * error that names the migration, logged once), and its readiness check.
 *
 * @module
 */
import type { WebhookHandler, WorkerHooks } from '../../types/index.js'
import type { HookSet } from '../internal/hooks.js'
import type { Reporting } from '../internal/options.js'
import { bossDb, createBoss, expectedSchemaVersion, loadPgBoss, type Boss } from './boss.js'
import type { PostgresQueueClient, PostgresQueuePool, PostgresQueueSettings } from './options.js'
import { WHERE } from './options.js'
import type { Statements } from './sql.js'

/** Points of an atomic intake where the crash tests stop a receiver to SIGKILL it. */
export type IntakePoint = 'before-begin' | 'after-reserve' | 'after-enqueue' | 'before-commit' | 'after-commit'
export type IntakePause = (point: IntakePoint, key: string) => void | Promise<void>

export interface RunningJob {
  id: string
  retryCount: number
}

export interface QueueState extends PostgresQueueSettings, Reporting {
  pool: PostgresQueuePool
  sql: Statements
  /** The call that sets the schema up, as the error message shows it. */
  migration: string
  bossPromise?: Promise<Boss>
  readyPromise?: Promise<void>
  /** Whether the "not migrated" error was logged since the last success. */
  warned: boolean
  ownHooks: WorkerHooks
  hooks: HookSet
  handler?: WebhookHandler
  closed: boolean
  closing?: Promise<void>
  timer?: ReturnType<typeof setTimeout>
  timerDue: number
  ticking: boolean
  /** A pass was asked for while one ran: run another when it ends. */
  again: boolean
  heartbeat?: ReturnType<typeof setInterval>
  running: Map<Promise<void>, RunningJob>
  /** Enqueues and intakes under way, which close() waits for. */
  inflight: Set<Promise<unknown>>
  nextMaintenanceAt: number
  maintaining?: Promise<void>
  /** Test hook: awaited at each point of an atomic intake. */
  pause?: IntakePause
}

type Queryable = Pick<PostgresQueuePool, 'query'> | PostgresQueueClient
type Result = { rows: any[]; rowCount: number | null }

// undefined_table, invalid_schema_name, undefined_object (pg-boss's job_state type).
const MISSING = new Set(['42P01', '3F000', '42704'])

export function isMissingObject(error: unknown): boolean {
  return MISSING.has((error as { code?: unknown } | null)?.code as string)
}

/** The "run the migration" error; logged once until the queue is ready again. */
export function notMigrated(s: QueueState, detail: string, cause?: unknown): Error {
  const message =
    `${WHERE}: ${detail}; run ${s.migration} (or queue.migrate()) before serving — ` +
    'deliveries get 503 and nothing is enqueued until then'
  if (!s.warned) {
    s.warned = true
    s.logger.error({ queue: WHERE, schema: s.schema, name: s.name, migration: s.migration }, message)
  }
  return new Error(`hookguard ${message}`, { cause })
}

/** Runs one statement; a missing table, schema or type becomes {@link notMigrated}. */
export async function query(s: QueueState, text: string, values: unknown[], on: Queryable = s.pool): Promise<Result> {
  try {
    return await on.query(text, values)
  } catch (error) {
    if (!isMissingObject(error)) throw error
    throw notMigrated(s, `pg-boss schema "${s.schema}" is not set up`, error)
  }
}

/** The pg-boss instance (inserts and maintenance), made on first use. */
export function boss(s: QueueState): Promise<Boss> {
  s.bossPromise ??= loadPgBoss(WHERE).then(
    (PgBoss) => {
      const instance = createBoss(PgBoss, bossDb(s.pool), s)
      instance.on('error', s.onError)
      return instance
    },
    (error: unknown) => {
      s.bossPromise = undefined
      throw error
    },
  )
  return s.bossPromise
}

async function check(s: QueueState): Promise<void> {
  const PgBoss = await loadPgBoss(WHERE)
  const { rows } = await query(s, s.sql.ready, [s.name, s.schema])
  const row = rows[0] as { policy: string | null; version: number | null; indexed: boolean } | undefined
  if (!row) throw notMigrated(s, `pg-boss queue "${s.name}" does not exist in schema "${s.schema}"`)
  if ((row.policy ?? 'standard') !== 'standard') {
    throw new Error(
      `hookguard ${WHERE}: pg-boss queue "${s.name}" has policy ${row.policy}; hookguard needs a queue of its own ` +
        `(policy standard): pick another name`,
    )
  }
  if (!row.indexed) throw notMigrated(s, `the dedupe-key index of queue "${s.name}" is missing`)
  const expected = expectedSchemaVersion(PgBoss)
  if (expected !== undefined && Number(row.version) !== expected) {
    throw notMigrated(s, `pg-boss schema "${s.schema}" is at version ${row.version}, this pg-boss needs ${expected}`)
  }
  s.warned = false
}

/** Resolves once the schema is known to be migrated (checked once, again after a failure). */
export function ready(s: QueueState): Promise<void> {
  s.readyPromise ??= check(s).catch((error: unknown) => {
    s.readyPromise = undefined
    throw error
  })
  return s.readyPromise
}

/** Keeps `work` in the set close() waits for until it settles. */
export function track<T>(s: QueueState, work: Promise<T>): Promise<T> {
  s.inflight.add(work)
  void work.then(
    () => s.inflight.delete(work),
    () => s.inflight.delete(work),
  )
  return work
}
