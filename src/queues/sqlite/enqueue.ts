/**
 * Internal: enqueue with group commit. Every enqueue of one event-loop turn
 * shares one transaction, and all of them resolve only once it is on disk.
 *
 * With `synchronous: 'full'` and the WAL file at hand, the COMMIT itself runs
 * at NORMAL and an fdatasync of the WAL follows on libuv's thread pool: the
 * same durability as a FULL commit, without the event loop waiting for the
 * disk. While that sync runs, the next turns' writes gather and commit
 * together when it returns, so the rows per commit grow with the disk's
 * latency. Every write of a batch — a no-op duplicate, an intake that found
 * its key done — resolves after the sync that followed its commit: the rows
 * it read are visible before their own sync, and nothing is answered from
 * data that a power cut could still take back.
 *
 * @module
 */
import type { Statement, Transaction } from 'better-sqlite3'
import type { SqliteDatabase } from '../../internal/sqlite.js'
import type { QueuedEvent } from '../../types/index.js'
import { checkQueuedEvent } from '../internal/event.js'
import { closedError } from '../internal/options.js'
import { WHERE } from './options.js'
import { maybePurge } from './purge.js'
import { toRow, type InsertRow } from './rows.js'
import type { QueueState } from './state.js'
import { schedule } from './worker.js'

/** One write of a group commit: runs inside the transaction, and what it returns resolves its caller after COMMIT. */
export interface PendingWrite {
  apply(): unknown
  resolve(result: never): void
  reject(error: unknown): void
}

export interface EnqueueStatements {
  insert: Statement<[InsertRow]>
  commit: Transaction<(writes: PendingWrite[]) => unknown[]>
}

export function prepareEnqueue(db: SqliteDatabase, table: string): EnqueueStatements {
  // Idempotent by key: a pending, running or done row wins. A dead row is
  // replaced by the new event as a fresh job (a provider's re-send revives
  // it), and so is a done row past its retention that is not purged yet.
  const insert: Statement<[InsertRow]> = db.prepare(
    `INSERT INTO ${table} (key, state, event_id, provider, type, timestamp, received_at, payload, headers, delivery_id, meta,
       attempt, run_at, created_at, updated_at)
     VALUES (@key, 'pending', @eventId, @provider, @type, @timestamp, @receivedAt, @payload, @headers, @deliveryId, @meta,
       0, @now, @now, @now)
     ON CONFLICT (key) DO UPDATE SET state = 'pending', event_id = excluded.event_id, provider = excluded.provider,
       type = excluded.type, timestamp = excluded.timestamp, received_at = excluded.received_at, payload = excluded.payload,
       headers = excluded.headers, delivery_id = excluded.delivery_id, meta = excluded.meta, attempt = 0,
       run_at = excluded.run_at, claimed_by = NULL, claimed_until = NULL, last_error = NULL,
       created_at = excluded.created_at, updated_at = excluded.updated_at, expires_at = NULL
     WHERE ${table}.state = 'dead' OR (${table}.state = 'done' AND ${table}.expires_at <= @now)`,
  )
  return {
    insert,
    commit: db.transaction((writes: PendingWrite[]) => writes.map((write) => write.apply())),
  }
}

/** Commits the batch gathered so far; resolves it after the commit, or after the WAL sync that follows it. */
export function flush(s: QueueState): void {
  s.flushScheduled = false
  // A sync is running: this batch commits when it returns.
  if (s.syncing) return
  const pending = s.batch
  s.batch = []
  if (pending.length === 0) return
  const wal = s.wal
  let results: unknown[]
  try {
    const commit = s.statements.enqueue.commit
    results = wal ? s.relaxed(() => commit.immediate(pending)) : commit.immediate(pending)
  } catch (error) {
    for (const p of pending) p.reject(error)
    return
  }
  s.counters.commits++
  s.counters.enqueued += pending.length
  if (!wal) return settle(s, pending, results)
  s.syncing = true
  wal.after((error) => {
    s.syncing = false
    if (error) refuse(s, error, pending)
    else settle(s, pending, results)
    flush(s)
    if (!s.syncing) for (const idle of s.whenSynced.splice(0)) idle()
  })
}

/** A failed fdatasync: the batch is not known to be on disk, so nothing of it is acknowledged (the senders retry). */
function refuse(s: QueueState, error: Error, pending: PendingWrite[]): void {
  s.onError(error)
  for (const p of pending) p.reject(error)
}

function settle(s: QueueState, pending: PendingWrite[], results: unknown[]): void {
  pending.forEach((p, i) => p.resolve(results[i] as never))
  maybePurge(s)
  if (s.handler) schedule(s, 0)
}

/** Resolves once every write handed over so far is committed and synced. */
export function drain(s: QueueState): Promise<void> {
  flush(s)
  if (!s.syncing) return Promise.resolve()
  return new Promise((resolve) => s.whenSynced.push(resolve))
}

/** Adds a write to this turn's group commit. */
export function addToBatch(s: QueueState, write: PendingWrite): void {
  s.batch.push(write)
  if (s.flushScheduled) return
  s.flushScheduled = true
  setImmediate(() => flush(s))
}

export function enqueue(s: QueueState, event: QueuedEvent): Promise<void> {
  if (s.closed) return Promise.reject(closedError(WHERE))
  let row: InsertRow
  try {
    row = toRow(checkQueuedEvent(WHERE, event), s.now())
  } catch (error) {
    return Promise.reject(error)
  }
  const insert = s.statements.enqueue.insert
  return new Promise<void>((resolve, reject) => {
    addToBatch(s, { apply: () => void insert.run(row), resolve, reject })
  })
}
