/**
 * A WebhookQueue on PostgreSQL, built on pg-boss, for teams that run
 * PostgreSQL and no Redis. Jobs live in pg-boss's tables in a schema of
 * their own; hookguard adds a unique index on the dedupe key, its own
 * retry policy (exponential backoff with jitter, in ms), heartbeats and dead
 * letters. With `postgresStore` on the same Pool, reserve, enqueue and
 * complete commit in one transaction (`atomicIntake`).
 *
 * @module
 */
import type {
  AtomicIntake,
  DeadLetter,
  DedupeStore,
  QueuedEvent,
  QueueStats,
  WebhookHandler,
  WebhookQueue,
  WorkerHooks,
} from '../../types/index.js'
import { checkHooks, combineHooks } from '../internal/hooks.js'
import { closedError, deadLetterLimit, resolveReporting } from '../internal/options.js'
import { migrateQueue } from './boss.js'
import { discardDead, listDead, countStates, retryAllDead, retryDead } from './dead.js'
import { enqueue } from './enqueue.js'
import { atomicIntake } from './intake.js'
import {
  checkPool,
  resolveLocation,
  resolveSettings,
  WHERE,
  type PostgresQueueLocation,
  type PostgresQueueOptions,
  type PostgresQueuePool,
} from './options.js'
import { statements } from './sql.js'
import type { IntakePause, QueueState } from './state.js'
import { startWorker, stopHeartbeat } from './worker.js'
import { guardIdleErrors } from '../../internal/pg-pool.js'

export type { PostgresQueueClient, PostgresQueueLocation, PostgresQueueOptions, PostgresQueuePool } from './options.js'
export type { IntakePoint, IntakePause } from './state.js'

/**
 * Test hook, not part of the public API: an option under this symbol is
 * awaited at each point of an atomic intake, so the crash tests can stop a
 * receiver there and SIGKILL it.
 */
export const INTAKE_PAUSE: unique symbol = Symbol('hookguard.postgresQueue.intakePause')

export interface PostgresQueue extends WebhookQueue {
  /** Schema and queue name in use. */
  readonly schema: string
  readonly name: string
  /** Resolves once the job is committed (idempotent by `event.key`; a dead key is revived). */
  enqueue(event: QueuedEvent): Promise<void>
  /** Start a worker in this process (the receiver calls this when given `handler`); `hooks` fire in addition to the queue's own. */
  process(handler: WebhookHandler, hooks?: WorkerHooks): Promise<void>
  /** Stop intake, wait for enqueues and running handlers. The pool is left open. */
  close(): Promise<void>
  /** Jobs per state across every process of the queue. */
  stats(): Promise<QueueStats>
  /** Dead letters, most recent first, kept for `deadRetentionMs`. Default limit 100. */
  deadLetters(options?: { limit?: number }): Promise<DeadLetter[]>
  retryDead(key: string): Promise<boolean>
  retryAllDead(): Promise<number>
  discardDead(key: string): Promise<boolean>
  /**
   * With a `postgresStore` on this very Pool: reserve, enqueue and complete
   * in one transaction. Undefined for any other store (the receiver then
   * runs the three steps one by one).
   */
  atomicIntake(store: DedupeStore): AtomicIntake | undefined
  /** Same as {@link migratePostgresQueue} for this queue's schema and name. */
  migrate(): Promise<void>
}

function migrationCall(location: { schema: string; name: string }): string {
  const parts = [
    ...(location.schema !== 'hookguard_pgboss' ? [`schema: '${location.schema}'`] : []),
    ...(location.name !== 'hookguard' ? [`name: '${location.name}'`] : []),
  ]
  return parts.length === 0 ? 'migratePostgresQueue(pool)' : `migratePostgresQueue(pool, { ${parts.join(', ')} })`
}

function createState(options: PostgresQueueOptions): QueueState {
  if (!options || typeof options !== 'object')
    throw new TypeError(`hookguard: ${WHERE} needs an options object: ${WHERE}({ pool })`)
  const pool = checkPool(WHERE, options.pool)
  const settings = resolveSettings(options)
  // Polling repeats a failure every pass; one line per 10 s is enough to notice.
  const reporting = resolveReporting(WHERE, options, 10_000)
  const ownHooks = checkHooks(WHERE, options)
  const pause = (options as { [INTAKE_PAUSE]?: IntakePause })[INTAKE_PAUSE]
  return {
    ...settings,
    ...reporting,
    pool,
    sql: statements(settings.schema),
    migration: migrationCall(settings),
    warned: false,
    ownHooks,
    hooks: combineHooks(WHERE, reporting.logger, ownHooks),
    closed: false,
    timerDue: Infinity,
    ticking: false,
    again: false,
    running: new Map(),
    inflight: new Set(),
    nextMaintenanceAt: 0,
    ...(typeof pause === 'function' ? { pause } : {}),
  }
}

function closeQueue(s: QueueState): Promise<void> {
  s.closing ??= (async () => {
    s.closed = true
    if (s.timer !== undefined) clearTimeout(s.timer)
    s.timer = undefined
    // A pass under way may still start the jobs it claimed: wait for both until nothing is left.
    while (s.inflight.size > 0 || s.running.size > 0) {
      await Promise.allSettled([...s.inflight, ...s.running.keys()])
    }
    stopHeartbeat(s)
    await s.maintaining
  })()
  return s.closing
}

/**
 * Create pg-boss's tables in `schema` (or upgrade them to the installed
 * pg-boss), the queue `name`, and hookguard's unique index on its dedupe
 * keys. Safe to run on every deploy and from several instances at once.
 * Never runs implicitly: until it has run, enqueues fail with an error that
 * names it, and the receiver answers 503.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg'
 * import { migratePostgresQueue, migratePostgresStore } from 'hookguard/postgres'
 *
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL })
 * await migratePostgresStore(pool)
 * await migratePostgresQueue(pool) // schema hookguard_pgboss, queue hookguard
 * ```
 */
export async function migratePostgresQueue(
  pool: PostgresQueuePool,
  options: PostgresQueueLocation = {},
): Promise<void> {
  const where = 'migratePostgresQueue'
  await migrateQueue(where, checkPool(where, pool), resolveLocation(where, options ?? {}))
}

/**
 * A durable queue on PostgreSQL through pg-boss. Run
 * {@link migratePostgresQueue} once per deploy first.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg'
 * import { createReceiver, stripe } from 'hookguard'
 * import { postgresQueue, postgresStore } from 'hookguard/postgres'
 *
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL })
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   store: postgresStore({ pool }), // same pool: reserve, enqueue and complete in one transaction
 *   queue: postgresQueue({ pool, attempts: 8 }),
 *   handler: async (event) => { await fulfil(event.payload) },
 * })
 * ```
 */
export function postgresQueue(options: PostgresQueueOptions): PostgresQueue {
  const s = createState(options)
  guardIdleErrors(s.pool, s.logger, WHERE)
  const open = (): void => {
    if (s.closed) throw closedError(WHERE)
  }
  return {
    schema: s.schema,
    name: s.name,
    enqueue: (event) => enqueue(s, event),
    process: (handler, hooks) => startWorker(s, handler, hooks),
    close: () => closeQueue(s),
    stats: async () => (open(), countStates(s)),
    deadLetters: async (o) => (open(), listDead(s, deadLetterLimit(WHERE, o))),
    retryDead: async (key) => (open(), retryDead(s, key)),
    retryAllDead: async () => (open(), retryAllDead(s)),
    discardDead: async (key) => (open(), discardDead(s, key)),
    atomicIntake: (store) => atomicIntake(s, store),
    migrate: () => migrateQueue(WHERE, s.pool, s),
  }
}
