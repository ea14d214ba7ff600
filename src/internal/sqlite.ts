/**
 * Internal: the SQLite connection handling shared by the SQLite store, queue
 * and archive — open or adopt a better-sqlite3 connection, WAL mode, commit
 * level, and table checks.
 *
 * @module
 */
import Database from 'better-sqlite3'
import { closeSync, fdatasync, openSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { configError } from '../errors.js'

/** A better-sqlite3 connection. */
export type SqliteDatabase = Database.Database

/** How hard SQLite flushes a commit to the disk (`PRAGMA synchronous`). */
export type SqliteSynchronous = 'normal' | 'full'

/** Where the data lives: a file path, or a connection you opened. */
export interface SqliteConnectionOptions {
  /**
   * Database file; created when missing. hookguard opens its own connection,
   * switches the file to WAL and closes the connection on `close()`.
   * Give either `path` or `database`.
   * @default none (one of `path` and `database` is required)
   */
  path?: string
  /**
   * A better-sqlite3 connection you opened (and close yourself). One
   * connection can serve the store and the queue. hookguard switches it to
   * WAL mode; the queue raises (never lowers) its `synchronous` level.
   * @default none (one of `path` and `database` is required)
   */
  database?: SqliteDatabase
  /**
   * How long a statement waits for another process's write lock before it
   * fails with SQLITE_BUSY, ms. better-sqlite3 is synchronous, so this wait
   * blocks the event loop: keep it short. Only used with `path` (a
   * connection you pass keeps its own `timeout`).
   * @default 1000
   */
  busyTimeoutMs?: number
}

const SYNCHRONOUS_LEVEL: Record<SqliteSynchronous, number> = { normal: 1, full: 2 }

/** Internal: an open connection plus whether hookguard owns it. */
export interface SqliteHandle {
  db: SqliteDatabase
  owned: boolean
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** Internal: checks a table name, which is interpolated into SQL. */
export function checkTableName(where: string, table: unknown, fallback: string): string {
  if (table === undefined) return fallback
  if (typeof table !== 'string' || !TABLE_NAME.test(table) || /^sqlite_/i.test(table)) {
    throw configError(
      `${where}: table must be a plain SQL identifier (letters, digits, _; not starting with sqlite_), got ${JSON.stringify(table)}`,
    )
  }
  return table
}

/** Internal: checks a positive integer option. */
export function positiveInteger(where: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw configError(`${where}: ${name} must be a positive integer (got ${String(value)})`)
  }
  return value
}

/** Internal: the options object must be there before anything reads it. */
export function checkOptions(where: string, options: unknown): void {
  if (!options || typeof options !== 'object')
    throw configError(`${where} needs an options object with { path } or { database }`)
}

/**
 * Internal: open (or adopt) the connection and switch it to WAL. The commit
 * level is set to `synchronous` when `mode` is 'set', raised to it when
 * 'raise', and left alone when 'keep'.
 */
export function openSqlite(
  where: string,
  options: SqliteConnectionOptions,
  synchronous: SqliteSynchronous,
  mode: 'set' | 'raise' | 'keep',
): SqliteHandle {
  checkOptions(where, options)
  const { path, database } = options
  if ((path === undefined) === (database === undefined)) {
    throw configError(`${where}: give exactly one of path (a file name) or database (a better-sqlite3 connection)`)
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 1000
  if (typeof busyTimeoutMs !== 'number' || !Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw configError(`${where}: busyTimeoutMs must be an integer >= 0 (got ${String(busyTimeoutMs)})`)
  }
  let db: SqliteDatabase
  let owned: boolean
  if (path !== undefined) {
    if (typeof path !== 'string' || path === '') throw configError(`${where}: path must be a non-empty file name`)
    if (path === ':memory:')
      throw configError(`${where}: path ':memory:' is not durable; use memoryStore()/memoryQueue() or a file`)
    db = new Database(path, { timeout: busyTimeoutMs })
    owned = true
  } else {
    const candidate = database as Partial<SqliteDatabase> | null
    if (
      !candidate ||
      typeof candidate.prepare !== 'function' ||
      typeof candidate.pragma !== 'function' ||
      typeof candidate.transaction !== 'function'
    ) {
      throw configError(`${where}: database must be a better-sqlite3 Database instance`)
    }
    if (candidate.open !== true) throw configError(`${where}: the database connection is closed`)
    if (candidate.readonly) throw configError(`${where}: the database connection is read-only`)
    db = database!
    owned = false
  }
  try {
    // WAL: readers never block the writer and a commit is one append, which
    // is what lets several processes share the file.
    const journal = db.pragma('journal_mode = WAL', { simple: true })
    if (journal !== 'wal')
      throw configError(`${where}: could not switch the database to WAL mode (journal_mode is ${String(journal)})`)
    // better-sqlite3 builds SQLite with SQLITE_DEFAULT_WAL_SYNCHRONOUS=1: a connection whose level was never
    // set reports FULL until it first reads the WAL, and runs at NORMAL from then on. One read first, so the
    // level below is the one commits will use.
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get()
    const current = Number(db.pragma('synchronous', { simple: true }))
    const wanted = SYNCHRONOUS_LEVEL[synchronous]
    if ((mode === 'set' && current !== wanted) || (mode === 'raise' && current < wanted))
      db.pragma(`synchronous = ${wanted}`)
  } catch (error) {
    if (owned) db.close()
    throw error
  }
  return { db, owned }
}

/**
 * Internal: create the table when missing, and refuse a table of the same
 * name with other columns rather than fail later on the first request.
 */
export function ensureTable(
  where: string,
  db: SqliteDatabase,
  table: string,
  ddl: string,
  indexes: string,
  columns: readonly string[],
): void {
  db.exec(ddl)
  const present = new Set((db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name))
  const missing = columns.filter((c) => !present.has(c))
  if (missing.length > 0) {
    throw configError(
      `${where}: table ${table} exists with other columns (missing ${missing.join(', ')}); choose another table name`,
    )
  }
  db.exec(indexes)
}

/** Internal: runs `work` with the connection's commit level at NORMAL (see {@link relaxedCommits}). */
export type RelaxedCommit = <T>(work: () => T) => T

/**
 * Internal: a function that runs `work` with the connection's commit level
 * at NORMAL and puts back the level it found. Only for writes whose loss on
 * a power cut is harmless (the caller says why), or that are synced another
 * way ({@link WalSync}): in WAL mode a NORMAL commit still survives a crash
 * of the process, and the next sync of the WAL takes it along. The level
 * cannot change inside a transaction, so `work` opens and commits its own;
 * inside someone else's it runs as it is. On a connection hookguard owns
 * nobody else changes the level, so it is read once; on a shared one, at
 * every call.
 */
export function relaxedCommits(db: SqliteDatabase, owned: boolean): RelaxedCommit {
  const level = (): number => Number(db.pragma('synchronous', { simple: true }))
  const known = owned ? level() : undefined
  return (work) => {
    if (db.inTransaction) return work()
    const found = known ?? level()
    if (found <= SYNCHRONOUS_LEVEL.normal) return work()
    // A prepared PRAGMA acts when it is prepared, not when it runs: exec each time (about 1 µs).
    db.exec(`PRAGMA synchronous = ${SYNCHRONOUS_LEVEL.normal}`)
    try {
      return work()
    } finally {
      db.exec(`PRAGMA synchronous = ${found}`)
    }
  }
}

/** Internal: whether two connections are to the same database file (the same connection, or one file on disk). */
export function sameDatabaseFile(a: SqliteDatabase, b: SqliteDatabase): boolean {
  if (a === b) return true
  if (a.memory || b.memory || !a.name || !b.name) return false
  try {
    return realpathSync(resolve(a.name)) === realpathSync(resolve(b.name))
  } catch {
    return false
  }
}

/**
 * Internal: what `sqliteStore` shares with a `sqliteQueue` on the same file
 * (under {@link SQLITE_DEDUPE}), so the queue can reserve, enqueue and
 * complete in one transaction of its own (`queue.atomicIntake(store)`)
 * without importing the store.
 */
export interface SqliteDedupeShare {
  /** The store's connection (the queue writes through its own, to the same file). */
  database: SqliteDatabase
  /** The store's keys table. */
  table: string
  /** The store's clock, ms: expiry of the keys written for it. */
  now(): number
  /** False once the store is closed: the intake then fails as the store would. */
  isOpen(): boolean
  /** The store's bounded purge of expired keys, due every `purgeIntervalMs`; never throws. */
  maybePurge(at: number): void
}

export const SQLITE_DEDUPE: unique symbol = Symbol.for('hookguard.sqliteDedupe')

/** Internal: the share of a `sqliteStore`, or undefined for any other store. */
export function sqliteDedupeShare(store: unknown): SqliteDedupeShare | undefined {
  if (!store || typeof store !== 'object') return undefined
  const share = (store as { [SQLITE_DEDUPE]?: SqliteDedupeShare })[SQLITE_DEDUPE]
  return share && typeof share === 'object' && typeof share.table === 'string' ? share : undefined
}

/**
 * Internal: fdatasync of a connection's WAL file on libuv's thread pool. A
 * commit made at synchronous=NORMAL is in the WAL (the OS has it) but not yet
 * on the disk; once an fdatasync of the WAL that began after the commit has
 * returned, the commit is as durable as a FULL one — FULL does exactly this
 * sync, inside COMMIT, on the event loop. (SQLite syncs a restarted WAL's
 * header itself at NORMAL, and checkpoints sync at every level.)
 *
 * Unlike FULL, other connections see the commit before the sync: whoever
 * answers from what it read must wait for a sync too (see `sqliteStore`'s
 * duplicate and the queue's group commit).
 */
export interface WalSync {
  /**
   * Calls `done` once an fdatasync that began after this call has finished
   * (with its error when it failed). Calls made while one runs share the next.
   */
  after(done: (error: Error | null) => void): void
  close(): void
}

/** Internal: a {@link WalSync} for the connection's main database, or undefined when its WAL file cannot be opened. */
export function openWalSync(db: SqliteDatabase): WalSync | undefined {
  let fd: number
  try {
    // The path SQLite resolved when it opened the file (db.name may be relative to another cwd).
    const main = (db.pragma('database_list') as Array<{ name: string; file: string }>).find((d) => d.name === 'main')
    if (!main?.file) return undefined
    fd = openSync(`${main.file}-wal`, 'r+')
  } catch {
    return undefined
  }
  let running = false
  let next: Array<(error: Error | null) => void> = []
  const closed = (): Error => new Error('hookguard: the WAL sync was closed')
  const start = (): void => {
    running = true
    const waiting = next
    next = []
    const syncing = fd
    fdatasync(syncing, (error) => {
      running = false
      for (const done of waiting) done(error)
      // Closed while it ran: the descriptor is ours to close now.
      if (fd !== syncing) return closeSync(syncing)
      if (next.length > 0) start()
    })
  }
  return {
    after(done) {
      if (fd < 0) return done(closed())
      next.push(done)
      if (!running) start()
    },
    close() {
      if (fd < 0) return
      const open = fd
      fd = -1
      const waiting = next
      next = []
      for (const done of waiting) done(closed())
      if (!running) closeSync(open)
    },
  }
}
