/**
 * Durable queue and worker on SQLite (better-sqlite3). `enqueue` resolves
 * after the row is committed and on disk (group commit, then an fdatasync of
 * the WAL off the event loop); the worker claims rows with a visibility
 * timeout, so a job whose worker died runs again, here or in another process.
 * With `sqliteStore` on the same file, `atomicIntake` makes the receiver's
 * reserve, enqueue and complete one write of that group commit.
 *
 * @module
 */
import { randomToken } from '../../crypto.js'
import { openSqlite, openWalSync, relaxedCommits, type SqliteDatabase, type WalSync } from '../../internal/sqlite.js'
import type {
  AtomicIntake,
  DeadLetter,
  DedupeStore,
  QueueStats,
  WebhookHandler,
  WebhookQueue,
  WorkerHooks,
} from '../../types/index.js'
import { checkHooks, combineHooks } from '../internal/hooks.js'
import { closedError, deadLetterLimit, resolveReporting } from '../internal/options.js'
import { discardDead, listDead, prepareDead, retryAllDead, retryDead } from './dead.js'
import { drain, enqueue, prepareEnqueue } from './enqueue.js'
import { atomicIntake } from './intake.js'
import { resolveSettings, WHERE, type SqliteQueueOptions } from './options.js'
import { preparePurge, purge } from './purge.js'
import { prepareTable } from './schema.js'
import type { QueueState, QueueTestHooks } from './state.js'
import { prepareWorker, startWorker, stopHeartbeat } from './worker.js'

export type { SqliteQueueOptions } from './options.js'
export type { QueueTestHooks } from './state.js'

/** Test hooks, not part of the public API: an option under this symbol is a {@link QueueTestHooks}. */
export const TEST_HOOKS: unique symbol = Symbol('hookguard.sqliteQueue.testHooks')

/** What this instance's group commit did: transactions, and the events they carried. */
export interface SqliteCommitStats {
  /** Transactions `enqueue` committed in this instance (group commit puts many events in one). */
  commits: number
  /** Events (enqueues and atomic intakes) those transactions carried, duplicates included. */
  enqueued: number
}

export interface SqliteQueue extends WebhookQueue {
  /** Start the worker in this process; `hooks` fire in addition to those given to `sqliteQueue()`. */
  process(handler: WebhookHandler, hooks?: WorkerHooks): void
  /** Commit what was handed to `enqueue`, wait for running handlers, close a connection hookguard opened. */
  close(): Promise<void>
  /** Rows per state in the table (every process's). */
  stats(): Promise<QueueStats>
  /** Group-commit counters of this instance (not part of the common `stats()`). */
  commitStats(): SqliteCommitStats
  /** Dead letters, most recent first, kept for `deadRetentionMs`. Default limit 100. */
  deadLetters(options?: { limit?: number }): Promise<DeadLetter[]>
  retryDead(key: string): Promise<boolean>
  retryAllDead(): Promise<number>
  discardDead(key: string): Promise<boolean>
  /** Delete up to `purgeBatchSize` expired rows now; returns how many went. */
  purge(): number
  /**
   * With a `sqliteStore` on the same file (or connection): reserve, enqueue
   * and complete as one write of the enqueue group commit, so the completed
   * key and the job are on disk together before the 2xx. `createReceiver`
   * uses it by itself; undefined for any other store.
   */
  atomicIntake(store: DedupeStore): AtomicIntake | undefined
}

function countStates(s: QueueState): QueueStats {
  const stats: QueueStats = { pending: 0, running: 0, done: 0, dead: 0 }
  for (const { state, n } of s.statements.countStates.all()) stats[state] = n
  return stats
}

function closeQueue(s: QueueState): Promise<void> {
  s.closing ??= (async () => {
    s.closed = true
    // Events already handed to enqueue are committed (and synced), not dropped.
    await drain(s)
    if (s.timer !== undefined) clearTimeout(s.timer)
    s.timer = undefined
    while (s.running.size > 0) await Promise.allSettled([...s.running])
    stopHeartbeat(s)
    s.wal?.close()
    if (s.owned && s.db.open) s.db.close()
  })()
  return s.closing
}

function walSync(db: SqliteDatabase, testHooks: QueueTestHooks | undefined): WalSync | undefined {
  const sync = openWalSync(db)
  return sync && testHooks?.wrapWalSync ? testHooks.wrapWalSync(sync) : sync
}

function createState(options: SqliteQueueOptions): QueueState {
  const settings = resolveSettings(options)
  const reporting = resolveReporting(WHERE, options)
  const ownHooks = checkHooks(WHERE, options)
  // The queue asks for at least its level even on a shared connection: a 2xx
  // promises the event is on disk, which must not depend on who opened it.
  const { db, owned } = openSqlite(WHERE, options, settings.synchronous, 'raise')
  const testHooks = (options as { [TEST_HOOKS]?: QueueTestHooks })[TEST_HOOKS]
  try {
    prepareTable(db, settings.table)
    const statements = {
      enqueue: prepareEnqueue(db, settings.table),
      worker: prepareWorker(db, settings.table),
      dead: prepareDead(db, settings.table),
      purge: preparePurge(db, settings.table),
      countStates: db.prepare<[], { state: keyof QueueStats; n: number }>(
        `SELECT state, COUNT(*) AS n FROM ${settings.table} GROUP BY state`,
      ),
    }
    return {
      ...settings,
      ...reporting,
      db,
      owned,
      relaxed: relaxedCommits(db, owned),
      workerId: `${process.pid}-${randomToken(6)}`,
      statements,
      ownHooks,
      hooks: combineHooks(WHERE, reporting.logger, ownHooks),
      testHooks,
      batch: [],
      flushScheduled: false,
      wal: settings.synchronous === 'full' ? walSync(db, testHooks) : undefined,
      syncing: false,
      whenSynced: [],
      counters: { commits: 0, enqueued: 0 },
      closed: false,
      timerDue: Infinity,
      outcomes: [],
      passScheduled: false,
      burst: 0,
      handling: 0,
      stopped: false,
      running: new Set(),
      nextPurgeAt: 0,
    }
  } catch (error) {
    if (owned) db.close()
    throw error
  }
}

/**
 * Durable queue in a SQLite table, with its worker.
 *
 * @example
 * ```ts
 * import { sqliteStore, sqliteQueue } from 'hookguard/sqlite'
 * const queue = sqliteQueue({ path: 'hooks.db', attempts: 8 })
 * const receiver = createReceiver({ provider, store: sqliteStore({ path: 'hooks.db' }), queue, handler })
 * ```
 */
export function sqliteQueue(options: SqliteQueueOptions): SqliteQueue {
  const s = createState(options)
  const open = (): void => {
    if (s.closed) throw closedError(WHERE)
  }
  return {
    enqueue: (event) => enqueue(s, event),
    process: (handler, hooks) => startWorker(s, handler, hooks),
    close: () => closeQueue(s),
    async stats() {
      open()
      return countStates(s)
    },
    commitStats: () => ({ ...s.counters }),
    async deadLetters(options) {
      open()
      return listDead(s, deadLetterLimit(WHERE, options))
    },
    async retryDead(key) {
      open()
      return retryDead(s, key)
    },
    async retryAllDead() {
      open()
      return retryAllDead(s)
    },
    async discardDead(key) {
      open()
      return discardDead(s, key)
    },
    purge: () => purge(s),
    atomicIntake: (store) => atomicIntake(s, store),
  }
}
