/**
 * Dedupe store on SQLite (better-sqlite3): durable across restarts and shared
 * by every process that opens the same file (WAL mode, busy timeout).
 *
 * @module
 */
import { randomToken } from '../crypto.js'
import { configError } from '../errors.js'
import { callHook, errorText, resolveLogger } from '../internal/log.js'
import {
  checkOptions,
  checkTableName,
  ensureTable,
  openSqlite,
  openWalSync,
  positiveInteger,
  SQLITE_DEDUPE,
  type SqliteConnectionOptions,
  type SqliteDatabase,
  type SqliteDedupeShare,
  type SqliteSynchronous,
  type WalSync,
} from '../internal/sqlite.js'
import type { DedupeStore, Logger, ReserveResult } from '../types/index.js'

export type { SqliteConnectionOptions, SqliteDatabase, SqliteSynchronous } from '../internal/sqlite.js'

export interface SqliteStoreOptions extends SqliteConnectionOptions {
  /**
   * Table holding the keys; created when missing, with a second table
   * `<table>_versions` for the ordering guard ({@link DedupeStore.advance}).
   * @default 'hookguard_dedupe'
   */
  table?: string
  /**
   * Commit level on a connection the store opens itself. 'normal': in WAL
   * mode a commit then survives a process crash, and only a power loss or OS
   * crash can roll back the last reservations/completions — the retried
   * delivery is then enqueued again, which a durable queue ignores by key.
   * 'full' makes each reserve/complete survive a power loss too (one fsync
   * each). Ignored with `database` (the store never changes that setting).
   * Either way a `duplicate` answer (a 2xx) waits for an fdatasync of the WAL
   * (off the event loop): a completed key written by `sqliteQueue`'s atomic
   * intake is visible a moment before it is on disk.
   * @default 'normal'
   */
  synchronous?: SqliteSynchronous
  /**
   * How often expired keys are deleted, ms. Purging happens inside store calls, never on a timer.
   * @default 60000
   */
  purgeIntervalMs?: number
  /**
   * Most expired keys deleted by one purge (per table), so no single call does unbounded work.
   * @default 1000
   */
  purgeBatchSize?: number
  /**
   * Clock in ms, for tests.
   * @default Date.now
   */
  now?: () => number
  /**
   * Where a failed purge is reported (the call that triggered it goes on): a
   * pino-compatible logger, or `false` for silence.
   * @default console
   */
  logger?: Logger | false
  /**
   * Called with each error of the store's own housekeeping (a failed purge).
   * It observes only: a hook that throws is ignored.
   * @default none
   */
  onError?: (error: unknown) => void
}

export interface SqliteStore extends DedupeStore {
  forget(key: string): Promise<boolean>
  advance(entity: string, version: number, retentionMs: number): Promise<boolean>
  close(): Promise<void>
  /** Delete up to `purgeBatchSize` expired keys and as many expired ordering records now; returns how many went. */
  purge(): number
  /** Keys held (reserved + completed, expired ones not yet purged included). */
  size(): number
}

interface Settings {
  table: string
  synchronous: SqliteSynchronous
  purgeIntervalMs: number
  purgeBatchSize: number
  now: () => number
  logger: Logger
  onError?: (error: unknown) => void
}

function settings(where: string, options: SqliteStoreOptions): Settings {
  checkOptions(where, options)
  const synchronous = options.synchronous ?? 'normal'
  if (synchronous !== 'normal' && synchronous !== 'full')
    throw configError(`${where}: synchronous must be 'normal' or 'full'`)
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw configError(`${where}: now must be a function returning milliseconds`)
  if (options.onError !== undefined && typeof options.onError !== 'function')
    throw configError(`${where}: onError must be a function (error) => void`)
  return {
    table: checkTableName(where, options.table, 'hookguard_dedupe'),
    synchronous,
    purgeIntervalMs: positiveInteger(where, 'purgeIntervalMs', options.purgeIntervalMs, 60_000),
    purgeBatchSize: positiveInteger(where, 'purgeBatchSize', options.purgeBatchSize, 1000),
    now,
    logger: resolveLogger(where, options.logger),
    onError: options.onError,
  }
}

function createTables(where: string, db: SqliteDatabase, table: string): void {
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
  // REAL holds every finite double exactly, so ms timestamps and fractions compare exactly.
  ensureTable(
    where,
    db,
    `${table}_versions`,
    `CREATE TABLE IF NOT EXISTS ${table}_versions (
      entity TEXT PRIMARY KEY NOT NULL,
      version REAL NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID`,
    `CREATE INDEX IF NOT EXISTS ${table}_versions_expires_at ON ${table}_versions (expires_at);`,
    ['entity', 'version', 'expires_at'],
  )
}

type Claim = { key: string; token: string; expiresAt: number; now: number }
type Advance = { entity: string; version: number; expiresAt: number; now: number }

function statements(db: SqliteDatabase, table: string) {
  const versions = `${table}_versions`
  return {
    // A live row (reserved or done, not expired) blocks the key; an expired one
    // is taken over in the same statement, so no purge is needed for correctness.
    claim: db.prepare<[Claim], { token: string }>(
      `INSERT INTO ${table} (key, state, token, expires_at) VALUES (@key, 'reserved', @token, @expiresAt)
       ON CONFLICT (key) DO UPDATE SET state = 'reserved', token = excluded.token, expires_at = excluded.expires_at
       WHERE ${table}.expires_at <= @now
       RETURNING token`,
    ),
    read: db.prepare<[string], { state: 'reserved' | 'done'; expires_at: number }>(
      `SELECT state, expires_at FROM ${table} WHERE key = ?`,
    ),
    complete: db.prepare<[Claim]>(
      `UPDATE ${table} SET state = 'done', expires_at = @expiresAt
       WHERE key = @key AND token = @token AND state = 'reserved' AND expires_at > @now`,
    ),
    release: db.prepare<[string, string]>(`DELETE FROM ${table} WHERE key = ? AND token = ? AND state = 'reserved'`),
    forget: db.prepare<[string, number]>(`DELETE FROM ${table} WHERE key = ? AND state = 'done' AND expires_at > ?`),
    // Inserted, or updated because the record is not newer (or has expired): one row back.
    advance: db.prepare<[Advance], { entity: string }>(
      `INSERT INTO ${versions} (entity, version, expires_at) VALUES (@entity, @version, @expiresAt)
       ON CONFLICT (entity) DO UPDATE SET version = excluded.version, expires_at = excluded.expires_at
       WHERE ${versions}.version <= excluded.version OR ${versions}.expires_at <= @now
       RETURNING entity`,
    ),
    purgeKeys: db.prepare<[number, number]>(
      `DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires_at <= ? LIMIT ?)`,
    ),
    purgeVersions: db.prepare<[number, number]>(
      `DELETE FROM ${versions} WHERE entity IN (SELECT entity FROM ${versions} WHERE expires_at <= ? LIMIT ?)`,
    ),
    count: db.prepare<[], number>(`SELECT COUNT(*) FROM ${table}`).pluck(),
  }
}

type Statements = ReturnType<typeof statements>

function checkKey(name: string, key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '')
    throw new TypeError(`hookguard: sqliteStore: ${name} must be a non-empty string`)
}

function checkMs(name: string, ms: unknown): asserts ms is number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0)
    throw new TypeError(`hookguard: sqliteStore: ${name} must be a positive number of ms`)
}

function checkVersion(version: unknown): asserts version is number {
  if (typeof version !== 'number' || !Number.isFinite(version))
    throw new TypeError(`hookguard: sqliteStore: version must be a finite number (got ${String(version)})`)
}

/** Bounded purges inside store calls: due every `purgeIntervalMs`, at once again after a full batch. */
function purger(s: Settings, sql: Statements): { purge(): number; maybePurge(at: number): void } {
  let nextPurgeAt = 0
  function purge(): number {
    const at = s.now()
    const keys = sql.purgeKeys.run(at, s.purgeBatchSize).changes
    const versions = sql.purgeVersions.run(at, s.purgeBatchSize).changes
    const full = keys === s.purgeBatchSize || versions === s.purgeBatchSize
    nextPurgeAt = full ? at : at + s.purgeIntervalMs
    return keys + versions
  }
  function maybePurge(at: number): void {
    if (at < nextPurgeAt) return
    try {
      purge()
    } catch (error) {
      // Purging only reclaims space (expired rows are ignored anyway): the call goes on.
      nextPurgeAt = at + s.purgeIntervalMs
      s.logger.warn({ error: errorText(error) }, 'sqliteStore: purging expired keys failed; retrying later')
      callHook(s.onError, error)
    }
  }
  return { purge, maybePurge }
}

type Opened = ReturnType<typeof openStore>

/** Opens the connection and the tables, and prepares every statement (closing an owned connection on failure). */
function openStore(where: string, options: SqliteStoreOptions, s: Settings) {
  // A connection the user passed keeps its commit level: the store's writes are
  // recoverable by design (see `synchronous`), so it has no reason to change it.
  const { db, owned } = openSqlite(where, options, s.synchronous, options.database === undefined ? 'set' : 'keep')
  try {
    createTables(where, db, s.table)
    const sql = statements(db, s.table)
    // IMMEDIATE takes the write lock before the read, so the follow-up SELECT
    // sees exactly the row that beat us, and no other process slips in between.
    const reserveTx = db.transaction((key: string, token: string, at: number, leaseMs: number): ReserveResult => {
      if (sql.claim.get({ key, token, expiresAt: at + leaseMs, now: at })) return { status: 'reserved', token }
      const row = sql.read.get(key)
      if (row?.state === 'done') return { status: 'duplicate' }
      return { status: 'in_flight', retryAfterMs: Math.max(0, (row?.expires_at ?? at) - at) }
    })
    // Owner tokens only have to differ between reservations: a random prefix per store and a counter,
    // instead of random bytes per call.
    const prefix = randomToken(12)
    let issued = 0
    return {
      db,
      owned,
      sql,
      wal: openWalSync(db),
      reserve: (key: string, at: number, leaseMs: number) =>
        reserveTx.immediate(key, `${prefix}${(++issued).toString(36)}`, at, leaseMs),
    }
  } catch (error) {
    if (owned) db.close()
    throw error
  }
}

/**
 * A completed key can come from a queue's atomic intake (this process or
 * another) whose WAL sync is still running: it is visible before it is on
 * disk. A duplicate answer is a 2xx, so it waits for a sync of its own.
 */
function durable(wal: WalSync): Promise<void> {
  return new Promise((resolve, reject) => wal.after((error) => (error ? reject(error) : resolve())))
}

function keyMethods(s: Settings, opened: Opened, checkOpen: () => void, maybePurge: (at: number) => void) {
  const { sql, reserve, wal } = opened
  return {
    async reserve(key: string, leaseMs: number): Promise<ReserveResult> {
      checkOpen()
      checkKey('key', key)
      checkMs('leaseMs', leaseMs)
      const at = s.now()
      maybePurge(at)
      const result = reserve(key, at, leaseMs)
      if (result.status === 'duplicate' && wal) await durable(wal)
      return result
    },
    async complete(key: string, token: string, retentionMs: number): Promise<boolean> {
      checkOpen()
      checkKey('key', key)
      checkMs('retentionMs', retentionMs)
      const at = s.now()
      return sql.complete.run({ key, token: String(token), expiresAt: at + retentionMs, now: at }).changes === 1
    },
    async release(key: string, token: string): Promise<boolean> {
      checkOpen()
      checkKey('key', key)
      return sql.release.run(key, String(token)).changes === 1
    },
    async forget(key: string): Promise<boolean> {
      checkOpen()
      checkKey('key', key)
      return sql.forget.run(key, s.now()).changes === 1
    },
  }
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
  const s = settings(where, options)
  const opened = openStore(where, options, s)
  const { db, owned, sql } = opened
  const { purge, maybePurge } = purger(s, sql)
  let closed = false
  function checkOpen(): void {
    if (closed) throw new Error('sqliteStore is closed')
  }

  const store: SqliteStore = {
    ...keyMethods(s, opened, checkOpen, maybePurge),
    async advance(entity, version, retentionMs) {
      checkOpen()
      checkKey('entity', entity)
      checkVersion(version)
      checkMs('retentionMs', retentionMs)
      const at = s.now()
      return sql.advance.get({ entity, version, expiresAt: at + retentionMs, now: at }) !== undefined
    },
    async close() {
      if (closed) return
      closed = true
      opened.wal?.close()
      if (owned && db.open) db.close()
    },
    purge() {
      checkOpen()
      return purge()
    },
    size() {
      checkOpen()
      return sql.count.get() ?? 0
    },
  }
  // For sqliteQueue.atomicIntake on the same file: the table, clock and purge it must follow (not enumerable,
  // so a wrapper that spreads the store is not mistaken for it).
  const share: SqliteDedupeShare = {
    database: db,
    table: s.table,
    now: s.now,
    isOpen: () => !closed && db.open,
    maybePurge,
  }
  Object.defineProperty(store, SQLITE_DEDUPE, { value: share })
  return store
}
