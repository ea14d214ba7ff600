/**
 * Internal: the state one `sqliteQueue` instance shares between its parts.
 *
 * @module
 */
import type { Statement } from 'better-sqlite3'
import type { RelaxedCommit, SqliteDatabase, WalSync } from '../../internal/sqlite.js'
import type { WebhookHandler, WorkerHooks } from '../../types/index.js'
import type { HookSet } from '../internal/hooks.js'
import type { Reporting } from '../internal/options.js'
import type { DeadStatements } from './dead.js'
import type { EnqueueStatements, PendingWrite } from './enqueue.js'
import type { SqliteQueueSettings } from './options.js'
import type { PurgeStatements } from './purge.js'
import type { Outcome, WorkerStatements } from './worker.js'

/** Test hooks (under `TEST_HOOKS` in the options), not part of the public API. */
export interface QueueTestHooks {
  /** Called in a pass with the keys whose outcomes it is about to commit (a crash test kills the process here). */
  beforePass?(keys: string[]): void
  /** Wraps the WAL sync, so a test can hold a sync and watch what waits for it. */
  wrapWalSync?(sync: WalSync): WalSync
}

export interface QueueState extends SqliteQueueSettings, Reporting {
  db: SqliteDatabase
  /** Whether hookguard opened the connection (and so closes it). */
  owned: boolean
  /** Runs a transaction at synchronous=NORMAL (worker passes; group commits that a WAL sync follows). */
  relaxed: RelaxedCommit
  /** This instance's name in `claimed_by`. */
  workerId: string
  statements: {
    enqueue: EnqueueStatements
    worker: WorkerStatements
    dead: DeadStatements
    purge: PurgeStatements
    /** Rows per state. */
    countStates: Statement<[], { state: 'pending' | 'running' | 'done' | 'dead'; n: number }>
  }
  ownHooks: WorkerHooks
  hooks: HookSet
  testHooks?: QueueTestHooks
  handler?: WebhookHandler
  /** Enqueues (and atomic intakes) of this event-loop turn, committed together. */
  batch: PendingWrite[]
  flushScheduled: boolean
  /** The WAL's fdatasync after each group commit, with synchronous 'full' (undefined: COMMIT syncs, or 'normal'). */
  wal?: WalSync
  /** A group commit waits for its sync; the next batch gathers meanwhile. */
  syncing: boolean
  /** Called once no sync runs and nothing waits (close). */
  whenSynced: Array<() => void>
  counters: { commits: number; enqueued: number }
  closed: boolean
  closing?: Promise<void>
  timer?: ReturnType<typeof setTimeout>
  timerDue: number
  /** Outcomes of finished handlers, committed together by the next pass. */
  outcomes: Outcome[]
  /** A pass is queued for after this turn. */
  passScheduled: boolean
  /** Passes since the last one a turn started (0: none yet). */
  burst: number
  /** Claimed jobs whose handler has not finished yet. */
  handling: number
  /** The worker found its (shared) connection closed and stopped. */
  stopped: boolean
  heartbeat?: ReturnType<typeof setInterval>
  running: Set<Promise<void>>
  nextPurgeAt: number
}
