/**
 * Internal: the options of `postgresQueue` and `migratePostgresQueue`, and
 * their resolution.
 *
 * @module
 */
import { configError } from '../../errors.js'
import { DEFAULT_RETENTION_MS } from '../../internal/defaults.js'
import { refuseUnknownOptions } from '../../internal/suggest.js'
import type { WorkerHooks } from '../../types/index.js'
import { integerOption, type QueueReportingOptions } from '../internal/options.js'
import { resolveRetry, type RetryOptions, type RetryPolicy } from '../retry.js'

export const WHERE = 'postgresQueue'

/** What the queue needs from `pg`: a `Pool` (queries side by side, and clients for transactions). */
export interface PostgresQueuePool {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>
  connect(): Promise<PostgresQueueClient>
}

/** A client checked out of the pool, for one transaction. */
export interface PostgresQueueClient {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>
  release(error?: Error | boolean): void
}

/** Where the queue lives: shared by the queue, its workers and the migration. */
export interface PostgresQueueLocation {
  /**
   * PostgreSQL schema that holds pg-boss's tables for hookguard (created by
   * the migration). A schema of its own keeps hookguard's pg-boss version
   * apart from any pg-boss your app already runs. Lower-case letters, digits
   * and `_`, at most 48 characters.
   * @default 'hookguard_pgboss'
   */
  schema?: string
  /**
   * pg-boss queue name inside that schema. Receivers and workers must agree.
   * Letters, digits, `_` and `-`, at most 64 characters.
   * @default 'hookguard'
   */
  name?: string
}

/**
 * Options of `postgresQueue`. Of the reporting options, `now` only
 * paces hookguard's own `onError` lines here: due times, claims, retention
 * and `failedAt` are the database server's clock, so instances with skewed
 * clocks agree.
 */
export interface PostgresQueueOptions extends PostgresQueueLocation, RetryOptions, WorkerHooks, QueueReportingOptions {
  /**
   * Required: a `pg` `Pool`. The queue runs its statements on it, checks out
   * a client for each atomic intake, and never ends it. Give the same Pool to
   * `postgresStore` to get one-transaction intake ({@link PostgresQueue.atomicIntake}).
   */
  pool: PostgresQueuePool
  /**
   * Whether `process(handler)` may run a worker in this process. Set `false`
   * on receivers whose handler runs in a worker process
   * (`createWorker({ queue: postgresQueue({ pool }), handler })`); passing
   * `handler` to `createReceiver` is then a configuration error.
   * @default true
   */
  worker?: boolean
  /**
   * Handlers running at once in this process.
   * @default 4
   */
  concurrency?: number
  /**
   * How often the worker looks for jobs enqueued by other processes and for
   * retries that came due, ms. Enqueues in this process wake it at once.
   * @default 500
   */
  pollIntervalMs?: number
  /**
   * How long a claimed job may go without a heartbeat before it counts as
   * lost and runs again (pg-boss's `expireIn`), ms, at least 1000. A running
   * handler's claim is renewed every third of this, so only a dead or frozen
   * worker loses its jobs; they run again after this plus up to one
   * `maintenanceIntervalMs`.
   * @default 30_000
   */
  visibilityTimeoutMs?: number
  /**
   * How often a worker runs pg-boss maintenance (one worker at a time, across
   * processes): lost jobs go back to be retried, and finished and dead jobs
   * past their retention are archived, ms, at least 1000.
   * @default 60_000
   */
  maintenanceIntervalMs?: number
  /**
   * How long a finished job's key is kept so a re-delivery stays a no-op, ms,
   * at least 60 000 (pg-boss `archiveCompletedAfterSeconds`). Keep it at least
   * as long as the receiver's `retentionMs`. Give every worker the same value.
   * @default 4 days
   */
  retentionMs?: number
  /**
   * How long a dead-lettered job is kept for `deadLetters()` and `retryDead`,
   * ms, at least 60 000 (pg-boss `archiveFailedAfterSeconds`).
   * @default 30 days
   */
  deadRetentionMs?: number
}

/** The resolved options, apart from the pool and reporting. */
export interface PostgresQueueSettings {
  schema: string
  name: string
  retry: RetryPolicy
  runsWorker: boolean
  concurrency: number
  pollIntervalMs: number
  visibilityTimeoutMs: number
  maintenanceIntervalMs: number
  retentionMs: number
  deadRetentionMs: number
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,47}$/
const NAME = /^[A-Za-z0-9_-]{1,64}$/
const DAY = 24 * 3600 * 1000

export const KNOWN_OPTIONS = [
  'pool',
  'schema',
  'name',
  'worker',
  'concurrency',
  'pollIntervalMs',
  'visibilityTimeoutMs',
  'maintenanceIntervalMs',
  'retentionMs',
  'deadRetentionMs',
  'attempts',
  'backoffMs',
  'maxBackoffMs',
  'onSuccess',
  'onRetry',
  'onDeadLetter',
  'logger',
  'onError',
  'now',
] as const

export function checkPool(where: string, pool: unknown): PostgresQueuePool {
  const p = pool as Partial<PostgresQueuePool> & { totalCount?: unknown }
  if (!p || typeof p.query !== 'function' || typeof p.connect !== 'function' || typeof p.totalCount !== 'number') {
    throw configError(
      `${where}: pool is required and must be a pg Pool (new Pool({ connectionString: process.env.DATABASE_URL })); ` +
        'a single Client cannot run the worker and transactions side by side',
    )
  }
  return pool as PostgresQueuePool
}

export function resolveLocation(where: string, options: PostgresQueueLocation): { schema: string; name: string } {
  const schema = options.schema ?? 'hookguard_pgboss'
  if (typeof schema !== 'string' || !SCHEMA.test(schema))
    throw configError(
      `${where}: schema must be a lower-case identifier such as 'hookguard_pgboss' (letters, digits, _; at most 48 characters; got ${JSON.stringify(schema)})`,
    )
  const name = options.name ?? 'hookguard'
  if (typeof name !== 'string' || !NAME.test(name))
    throw configError(
      `${where}: name must be letters, digits, _ or -, at most 64 characters (got ${JSON.stringify(name)})`,
    )
  return { schema, name }
}

function msOption(name: string, value: unknown, fallback: number, min: number): number {
  return integerOption(WHERE, name, value, fallback, min)
}

export function resolveSettings(options: PostgresQueueOptions): PostgresQueueSettings {
  refuseUnknownOptions(WHERE, options, KNOWN_OPTIONS)
  const runsWorker = options.worker ?? true
  if (typeof runsWorker !== 'boolean') throw configError(`${WHERE}: worker must be a boolean`)
  return {
    ...resolveLocation(WHERE, options),
    retry: resolveRetry(WHERE, options),
    runsWorker,
    concurrency: integerOption(WHERE, 'concurrency', options.concurrency, 4),
    pollIntervalMs: msOption('pollIntervalMs', options.pollIntervalMs, 500, 10),
    visibilityTimeoutMs: msOption('visibilityTimeoutMs', options.visibilityTimeoutMs, 30_000, 1000),
    maintenanceIntervalMs: msOption('maintenanceIntervalMs', options.maintenanceIntervalMs, 60_000, 1000),
    retentionMs: msOption('retentionMs', options.retentionMs, DEFAULT_RETENTION_MS, 60_000),
    deadRetentionMs: msOption('deadRetentionMs', options.deadRetentionMs, 30 * DAY, 60_000),
  }
}
