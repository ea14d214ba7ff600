/**
 * Internal: enqueue with group commit. Every enqueue of one event-loop turn
 * shares one transaction, and all of them resolve only after its COMMIT
 * returned (with `synchronous=FULL`, after the fsync).
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

export interface PendingInsert {
  row: InsertRow
  resolve: () => void
  reject: (error: unknown) => void
}

export interface EnqueueStatements {
  insertBatch: Transaction<(rows: InsertRow[]) => void>
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
    insertBatch: db.transaction((rows: InsertRow[]) => {
      for (const row of rows) insert.run(row)
    }),
  }
}

/** Commits the batch of this turn and settles its enqueues. */
export function flush(s: QueueState): void {
  s.flushScheduled = false
  const pending = s.batch
  s.batch = []
  if (pending.length === 0) return
  try {
    s.statements.enqueue.insertBatch.immediate(pending.map((p) => p.row))
  } catch (error) {
    for (const p of pending) p.reject(error)
    return
  }
  s.counters.commits++
  s.counters.enqueued += pending.length
  for (const p of pending) p.resolve()
  maybePurge(s)
  if (s.handler) schedule(s, 0)
}

export function enqueue(s: QueueState, event: QueuedEvent): Promise<void> {
  if (s.closed) return Promise.reject(closedError(WHERE))
  let row: InsertRow
  try {
    row = toRow(checkQueuedEvent(WHERE, event), s.now())
  } catch (error) {
    return Promise.reject(error)
  }
  return new Promise<void>((resolve, reject) => {
    s.batch.push({ row, resolve, reject })
    if (s.flushScheduled) return
    s.flushScheduled = true
    setImmediate(() => flush(s))
  })
}
