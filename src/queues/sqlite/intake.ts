/**
 * Internal: atomic intake. With `sqliteStore` on the same file, the
 * receiver's three steps — reserve the dedupe key, enqueue, complete the key
 * — are one write in the enqueue group commit: the completed key and the job
 * commit together (with the queue's `synchronous`, FULL by default) or not at
 * all, so no crash leaves a reservation without a job or a job without a
 * completed key, and a turn's deliveries cost one transaction instead of
 * three per delivery.
 *
 * The dedupe statements follow `sqliteStore`'s table and semantics (a live
 * row blocks its key, an expired one is taken over; expiry on the store's
 * clock): a queue may not import a store, so the shape is the shared
 * contract, reached through `SQLITE_DEDUPE` in src/internal/sqlite.ts.
 *
 * @module
 */
import type { Statement } from 'better-sqlite3'
import { randomToken } from '../../crypto.js'
import {
  sameDatabaseFile,
  sqliteDedupeShare,
  type SqliteDatabase,
  type SqliteDedupeShare,
} from '../../internal/sqlite.js'
import type { AtomicIntake, DedupeStore, IntakeResult, QueuedEvent } from '../../types/index.js'
import { checkQueuedEvent } from '../internal/event.js'
import { closedError } from '../internal/options.js'
import { addToBatch } from './enqueue.js'
import { WHERE } from './options.js'
import { toRow, type InsertRow } from './rows.js'
import type { QueueState } from './state.js'

interface DedupeStatements {
  /** The key, completed at once: inserted, or taken over when expired. One change when it was ours to take. */
  take: Statement<[{ key: string; token: string; expiresAt: number; now: number }]>
  read: Statement<[string], { state: 'reserved' | 'done'; expires_at: number }>
}

function prepareDedupe(db: SqliteDatabase, table: string): DedupeStatements {
  return {
    take: db.prepare(
      `INSERT INTO ${table} (key, state, token, expires_at) VALUES (@key, 'done', @token, @expiresAt)
       ON CONFLICT (key) DO UPDATE SET state = 'done', token = excluded.token, expires_at = excluded.expires_at
       WHERE ${table}.expires_at <= @now`,
    ),
    read: db.prepare(`SELECT state, expires_at FROM ${table} WHERE key = ?`),
  }
}

const ACCEPTED: IntakeResult = { status: 'accepted' }
const DUPLICATE: IntakeResult = { status: 'duplicate' }

interface Target {
  share: SqliteDedupeShare
  sql: DedupeStatements
  /** Written as the owner token of the keys this intake completes (a done key's token is never compared). */
  token: string
}

/** Inside the group commit: take the key; when it was ours, insert the job (idempotent by key, as `enqueue`). */
function take(s: QueueState, t: Target, row: InsertRow, at: number, retentionMs: number): IntakeResult {
  const key = row.key
  if (t.sql.take.run({ key, token: t.token, expiresAt: at + retentionMs, now: at }).changes === 1) {
    s.statements.enqueue.insert.run(row)
    return ACCEPTED
  }
  const live = t.sql.read.get(key)
  if (live?.state === 'done') return DUPLICATE
  return { status: 'in_flight', retryAfterMs: Math.max(0, (live?.expires_at ?? at) - at) }
}

function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new TypeError(
      `hookguard: ${WHERE}.atomicIntake: ${name} must be a positive number of ms (got ${String(value)})`,
    )
  return value
}

function intake(s: QueueState, t: Target, event: QueuedEvent, options: unknown): Promise<IntakeResult> {
  if (s.closed) return Promise.reject(closedError(WHERE))
  if (!t.share.isOpen()) return Promise.reject(new Error('sqliteStore is closed'))
  let row: InsertRow
  let retentionMs: number
  try {
    const o = (options ?? {}) as { leaseMs?: unknown; retentionMs?: unknown }
    positiveMs('leaseMs', o.leaseMs)
    retentionMs = positiveMs('retentionMs', o.retentionMs)
    row = toRow(checkQueuedEvent(WHERE, event), s.now())
  } catch (error) {
    return Promise.reject(error)
  }
  const at = t.share.now()
  // The receiver no longer calls the store on this path: its purge of expired keys runs from here.
  t.share.maybePurge(at)
  return new Promise<IntakeResult>((resolve, reject) => {
    addToBatch(s, { apply: () => take(s, t, row, at, retentionMs), resolve, reject })
  })
}

/** `queue.atomicIntake(store)`: the one-transaction intake, or undefined when `store` is not a sqliteStore on this file. */
export function atomicIntake(s: QueueState, store: DedupeStore): AtomicIntake | undefined {
  const share = sqliteDedupeShare(store)
  if (!share || s.closed || !s.db.open || !sameDatabaseFile(s.db, share.database)) return undefined
  let sql: DedupeStatements
  try {
    sql = prepareDedupe(s.db, share.table)
  } catch {
    return undefined // the store's table is not there (closed store, dropped table): the receiver's three steps then
  }
  const target: Target = { share, sql, token: `intake-${randomToken(9)}` }
  return function sqliteAtomicIntake(event, options) {
    return intake(s, target, event, options)
  }
}
