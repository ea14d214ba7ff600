/**
 * Dedupe store on SQLite (better-sqlite3): durable across restarts and shared
 * by every process that opens the same file (WAL mode, busy timeout).
 *
 * @module
 */
import { randomToken } from '../crypto.js'
import { configError } from '../errors.js'
import {
  checkOptions,
  checkTableName,
  ensureTable,
  openSqlite,
  positiveInteger,
  type SqliteConnectionOptions,
  type SqliteDatabase,
  type SqliteSynchronous,
} from '../internal/sqlite.js'
import type { DedupeStore, ReserveResult } from '../types/index.js'

export type { SqliteConnectionOptions, SqliteDatabase, SqliteSynchronous } from '../internal/sqlite.js'

export interface SqliteStoreOptions extends SqliteConnectionOptions {
  /** Table holding the keys; created when missing. Default 'hookguard_dedupe'. */
  table?: string
  /**
   * Commit level on a connection the store opens itself. Default 'normal':
   * in WAL mode a commit then survives a process crash, and only a power loss
   * or OS crash can roll back the last reservations/completions — the retried
   * delivery is then enqueued again, which a durable queue ignores by key.
   * 'full' makes each reserve/complete survive a power loss too (one fsync
   * each). Ignored with `database` (the store never changes that setting).
   */
  synchronous?: SqliteSynchronous
  /** How often expired keys are deleted, ms. Purging happens inside store calls, never on a timer. Default 60 000. */
  purgeIntervalMs?: number
  /** Most expired keys deleted by one purge, so no single call does unbounded work. Default 1000. */
  purgeBatchSize?: number
  /** Clock in ms, for tests. Default `Date.now`. */
  now?: () => number
}

export interface SqliteStore extends DedupeStore {
  close(): Promise<void>
  /** Delete up to `purgeBatchSize` expired keys now; returns how many went. */
  purge(): number
  /** Keys held (reserved + completed, expired ones not yet purged included). */
  size(): number
}

/**
 * Dedupe store in a SQLite table.
 *
 * @example
 * ```ts
 * import { sqliteStore, sqliteQueue } from 'hookguard/sqlite'
 * const receiver = createReceiver({ provider, store: sqliteStore({ path: 'hooks.db' }), queue: sqliteQueue({ path: 'hooks.db' }) })
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions): SqliteStore {
  const where = 'sqliteStore'
  checkOptions(where, options)
  const table = checkTableName(where, options.table, 'hookguard_dedupe')
  const synchronous = options.synchronous ?? 'normal'
  if (synchronous !== 'normal' && synchronous !== 'full')
    throw configError(`${where}: synchronous must be 'normal' or 'full'`)
  const purgeIntervalMs = positiveInteger(where, 'purgeIntervalMs', options.purgeIntervalMs, 60_000)
  const purgeBatchSize = positiveInteger(where, 'purgeBatchSize', options.purgeBatchSize, 1000)
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw configError(`${where}: now must be a function returning milliseconds`)

  // A connection the user passed keeps its commit level: the store's writes are
  // recoverable by design (see `synchronous`), so it has no reason to change it.
  const { db, owned } = openSqlite(where, options, synchronous, options.database === undefined ? 'set' : 'keep')
  try {
    ensureTable(
      where,
      db,
      table,
      `CREATE TABLE IF NOT EXISTS ${table} (
        key TEXT PRIMARY KEY NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('reserved', 'done')),
        token TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID`,
      `CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at);`,
      ['key', 'state', 'token', 'expires_at'],
    )
  } catch (error) {
    if (owned) db.close()
    throw error
  }

  // A live row (reserved or done, not expired) blocks the key; an expired one
  // is taken over in the same statement, so no purge is needed for correctness.
  const claim = db.prepare<[{ key: string; token: string; expiresAt: number; now: number }], { token: string }>(
    `INSERT INTO ${table} (key, state, token, expires_at) VALUES (@key, 'reserved', @token, @expiresAt)
     ON CONFLICT (key) DO UPDATE SET state = 'reserved', token = excluded.token, expires_at = excluded.expires_at
     WHERE ${table}.expires_at <= @now
     RETURNING token`,
  )
  const read = db.prepare<[string], { state: 'reserved' | 'done'; expires_at: number }>(
    `SELECT state, expires_at FROM ${table} WHERE key = ?`,
  )
  const markDone = db.prepare<[{ key: string; token: string; expiresAt: number; now: number }]>(
    `UPDATE ${table} SET state = 'done', expires_at = @expiresAt WHERE key = @key AND token = @token AND state = 'reserved' AND expires_at > @now`,
  )
  const forget = db.prepare<[string, string]>(`DELETE FROM ${table} WHERE key = ? AND token = ? AND state = 'reserved'`)
  const purgeStatement = db.prepare<[number, number]>(
    `DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires_at <= ? LIMIT ?)`,
  )
  const count = db.prepare<[], number>(`SELECT COUNT(*) FROM ${table}`).pluck()

  // IMMEDIATE takes the write lock before the read, so the follow-up SELECT
  // sees exactly the row that beat us, and no other process slips in between.
  const reserveTx = db.transaction((key: string, token: string, at: number, leaseMs: number): ReserveResult => {
    if (claim.get({ key, token, expiresAt: at + leaseMs, now: at })) return { status: 'reserved', token }
    const row = read.get(key)
    if (row?.state === 'done') return { status: 'duplicate' }
    return { status: 'in_flight', retryAfterMs: Math.max(0, (row?.expires_at ?? at) - at) }
  })

  let nextPurgeAt = 0
  let closed = false

  function purge(): number {
    const at = now()
    const deleted = purgeStatement.run(at, purgeBatchSize).changes
    // A full batch means more is waiting: purge again on the next call.
    nextPurgeAt = deleted === purgeBatchSize ? at : at + purgeIntervalMs
    return deleted
  }

  function checkOpen(): void {
    if (closed) throw new Error('sqliteStore is closed')
  }

  function checkKey(key: unknown): asserts key is string {
    if (typeof key !== 'string' || key === '')
      throw new TypeError('hookguard: sqliteStore: key must be a non-empty string')
  }

  function checkMs(name: string, ms: unknown): asserts ms is number {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0)
      throw new TypeError(`hookguard: sqliteStore: ${name} must be a positive number of ms`)
  }

  return {
    async reserve(key, leaseMs) {
      checkOpen()
      checkKey(key)
      checkMs('leaseMs', leaseMs)
      const at = now()
      if (at >= nextPurgeAt) purge()
      return reserveTx.immediate(key, randomToken(), at, leaseMs)
    },
    async complete(key, token, retentionMs) {
      checkOpen()
      checkKey(key)
      checkMs('retentionMs', retentionMs)
      const at = now()
      return markDone.run({ key, token: String(token), expiresAt: at + retentionMs, now: at }).changes === 1
    },
    async release(key, token) {
      checkOpen()
      checkKey(key)
      return forget.run(key, String(token)).changes === 1
    },
    async close() {
      if (closed) return
      closed = true
      if (owned && db.open) db.close()
    },
    purge() {
      checkOpen()
      return purge()
    },
    size() {
      checkOpen()
      return count.get() ?? 0
    },
  }
}
