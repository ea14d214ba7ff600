/**
 * Internal: the options of `sqliteQueue` and their resolution.
 *
 * @module
 */
import { configError } from '../../errors.js'
import { DEFAULT_RETENTION_MS } from '../../internal/defaults.js'
import {
  checkOptions,
  checkTableName,
  type SqliteConnectionOptions,
  type SqliteSynchronous,
} from '../../internal/sqlite.js'
import type { WorkerHooks } from '../../types/index.js'
import { integerOption, type QueueReportingOptions } from '../internal/options.js'
import { resolveRetry, type RetryOptions, type RetryPolicy } from '../retry.js'

export interface SqliteQueueOptions extends SqliteConnectionOptions, RetryOptions, WorkerHooks, QueueReportingOptions {
  /**
   * Table holding the jobs; created when missing, and upgraded in place
   * (new columns added) when an older hookguard created it.
   * @default 'hookguard_jobs'
   */
  table?: string
  /**
   * Commit level. 'full': each enqueue batch is on disk before `enqueue`
   * resolves, so an accepted event survives a power loss. The batch commits,
   * then the WAL file is fdatasynced on libuv's thread pool (the sync a FULL
   * commit does, without blocking the event loop); enqueues arriving during
   * that sync are committed together after it. 'normal' survives a crash of
   * the process but a power loss or OS crash can roll back the last commits —
   * events already answered 2xx. The queue raises a shared connection to
   * this level and never lowers it. Either way the worker's own writes
   * (claims, outcomes) commit without an fsync of their own: a power cut can
   * roll back the last of them, and those jobs run again (at least once).
   * @default 'full'
   */
  synchronous?: SqliteSynchronous
  /**
   * Handlers running at once in this process. One transaction commits the
   * outcomes of the handlers that finished and claims up to this many due
   * jobs, so a larger value also means fewer, larger worker transactions.
   * @default 4
   */
  concurrency?: number
  /**
   * How long a claimed job stays invisible to other workers, ms. A running
   * handler's claim is renewed every third of this; a job whose worker died
   * becomes claimable again when its claim runs out.
   * @default 30_000
   */
  visibilityTimeoutMs?: number
  /**
   * How often the worker looks for jobs enqueued by other processes or due retries, ms.
   * @default 500
   */
  pollIntervalMs?: number
  /**
   * How long a finished job's key is kept so a re-delivery stays a no-op, ms
   * (its payload and headers are dropped when it finishes). Keep it at least
   * as long as the receiver's `retentionMs`.
   * @default 4 days
   */
  retentionMs?: number
  /**
   * How long a dead-lettered job is kept for inspection and `retryDead`, ms.
   * @default 30 days
   */
  deadRetentionMs?: number
  /**
   * How often finished and dead jobs past their retention are deleted, ms.
   * @default 60_000
   */
  purgeIntervalMs?: number
  /**
   * Most rows deleted by one purge, so no single call does unbounded work.
   * @default 1000
   */
  purgeBatchSize?: number
}

/** The resolved options, apart from the connection and reporting. */
export interface SqliteQueueSettings {
  table: string
  retry: RetryPolicy
  synchronous: SqliteSynchronous
  concurrency: number
  visibilityTimeoutMs: number
  pollIntervalMs: number
  retentionMs: number
  deadRetentionMs: number
  purgeIntervalMs: number
  purgeBatchSize: number
}

export const WHERE = 'sqliteQueue'

export function resolveSettings(options: SqliteQueueOptions): SqliteQueueSettings {
  checkOptions(WHERE, options)
  const synchronous = options.synchronous ?? 'full'
  if (synchronous !== 'normal' && synchronous !== 'full')
    throw configError(`${WHERE}: synchronous must be 'normal' or 'full'`)
  const visibilityTimeoutMs = integerOption(WHERE, 'visibilityTimeoutMs', options.visibilityTimeoutMs, 30_000)
  if (visibilityTimeoutMs < 30) throw configError(`${WHERE}: visibilityTimeoutMs must be at least 30 ms`)
  return {
    table: checkTableName(WHERE, options.table, 'hookguard_jobs'),
    retry: resolveRetry(WHERE, options),
    synchronous,
    concurrency: integerOption(WHERE, 'concurrency', options.concurrency, 4),
    visibilityTimeoutMs,
    pollIntervalMs: integerOption(WHERE, 'pollIntervalMs', options.pollIntervalMs, 500),
    retentionMs: integerOption(WHERE, 'retentionMs', options.retentionMs, DEFAULT_RETENTION_MS),
    deadRetentionMs: integerOption(WHERE, 'deadRetentionMs', options.deadRetentionMs, 30 * 24 * 3600 * 1000),
    purgeIntervalMs: integerOption(WHERE, 'purgeIntervalMs', options.purgeIntervalMs, 60_000),
    purgeBatchSize: integerOption(WHERE, 'purgeBatchSize', options.purgeBatchSize, 1000),
  }
}
