/**
 * Internal: the SQLite archive's tables, indexes, triggers and statements.
 * The counts table (see stats.ts) is kept by triggers, so it follows every
 * change of the records whoever makes it — the archive's worker thread,
 * another process, a person deleting rows by hand. A trigger only appends
 * one row per change to a count log; every archive transaction then folds
 * the log into the counts with one grouped upsert. Measured, that adds about
 * 40 % less write cost than upserting three buckets from the trigger. (Changes
 * made outside the archive are folded by its next write.)
 *
 * @module
 */
import { ALL_COLUMNS, RECORD_SELECT } from './columns.js'
import { GRAINS } from './stats.js'

export const COUNT_COLUMNS = ['grain', 'bucket', 'outcome', 'code', 'provider', 'type', 'state', 'n'] as const
export const LOG_COLUMNS = ['received_at', 'outcome', 'code', 'provider', 'type', 'state', 'n'] as const

/** `SELECT <grain>` rows, one per bucket size. */
const GRAIN_ROWS = GRAINS.map((grain, i) => (i === 0 ? `SELECT ${grain} AS g` : `SELECT ${grain}`)).join(' UNION ALL ')

/** Appends one change to the count log (cheap); the writer folds the log into the counts per transaction. */
function logChange(table: string, row: 'new' | 'old', n: number): string {
  return `INSERT INTO ${table}_count_log (received_at, outcome, code, provider, type, state, n)
    VALUES (${row}.received_at, ${row}.outcome, COALESCE(${row}.code, ''), ${row}.provider,
      COALESCE(${row}.type, ''), COALESCE(${row}.state, ''), ${n});`
}

export function sqliteSchema(table: string): { records: string; counts: string; log: string; extras: string } {
  return {
    records: `CREATE TABLE IF NOT EXISTS ${table} (
      delivery_id TEXT PRIMARY KEY NOT NULL, received_at INTEGER NOT NULL,
      receiver TEXT NOT NULL, provider TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
      headers TEXT NOT NULL, body_size INTEGER NOT NULL, truncated INTEGER NOT NULL, status INTEGER NOT NULL,
      outcome TEXT NOT NULL, code TEXT, reason TEXT, duration_ms REAL NOT NULL, event_id TEXT, key TEXT, type TEXT,
      replay_of TEXT, verified INTEGER, state TEXT, attempts INTEGER, last_error TEXT, updated_at INTEGER,
      sealed_headers TEXT, body BLOB
    )`,
    counts: `CREATE TABLE IF NOT EXISTS ${table}_counts (
      grain INTEGER NOT NULL, bucket INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL,
      provider TEXT NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY (grain, bucket, outcome, code, provider, type, state)
    ) WITHOUT ROWID`,
    log: `CREATE TABLE IF NOT EXISTS ${table}_count_log (
      received_at INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL, provider TEXT NOT NULL,
      type TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL
    )`,
    // Indexes end in the list order, so a filtered page is a range scan. Each
    // index costs every write, so: failures (outcome other than accepted, and
    // code) are indexed apart from the many accepted rows, which a plain
    // time-ordered scan finds cheaply; provider is not indexed (an app has a
    // handful, so a scan in time order finds a page quickly).
    extras: `
      CREATE INDEX IF NOT EXISTS ${table}_received ON ${table} (received_at, delivery_id);
      CREATE INDEX IF NOT EXISTS ${table}_failed ON ${table} (outcome, received_at, delivery_id) WHERE outcome <> 'accepted';
      CREATE INDEX IF NOT EXISTS ${table}_code ON ${table} (code, received_at, delivery_id) WHERE code IS NOT NULL;
      CREATE INDEX IF NOT EXISTS ${table}_type ON ${table} (type, received_at, delivery_id) WHERE type IS NOT NULL;
      CREATE INDEX IF NOT EXISTS ${table}_event ON ${table} (event_id) WHERE event_id IS NOT NULL;
      CREATE TRIGGER IF NOT EXISTS ${table}_count_insert AFTER INSERT ON ${table} BEGIN
        ${logChange(table, 'new', 1)}
      END;
      CREATE TRIGGER IF NOT EXISTS ${table}_count_update AFTER UPDATE OF received_at, outcome, code, provider, type, state
      ON ${table} BEGIN
        ${logChange(table, 'old', -1)}
        ${logChange(table, 'new', 1)}
      END;
      CREATE TRIGGER IF NOT EXISTS ${table}_count_delete AFTER DELETE ON ${table} BEGIN
        ${logChange(table, 'old', -1)}
      END;`,
  }
}

/** The write statements, as text: the worker thread prepares them on its own connection. */
export function sqliteWriteSql(table: string) {
  return {
    insert: `INSERT INTO ${table} (${ALL_COLUMNS.join(', ')}) VALUES (${ALL_COLUMNS.map(() => '?').join(', ')})
      ON CONFLICT (delivery_id) DO NOTHING`,
    // Progress only moves forward in time: an older update than the last applied is ignored.
    progress: `UPDATE ${table} SET state = ?, attempts = ?, last_error = COALESCE(?, last_error), updated_at = ?
      WHERE delivery_id = ? AND (updated_at IS NULL OR updated_at <= ?)`,
    purge: `DELETE FROM ${table} WHERE rowid IN (
      SELECT rowid FROM ${table} WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
    dropZero: `DELETE FROM ${table}_counts WHERE n = 0`,
    // "WHERE true" keeps SQLite from reading ON CONFLICT as a join constraint.
    fold: `INSERT INTO ${table}_counts (grain, bucket, outcome, code, provider, type, state, n)
      SELECT g, received_at - received_at % g, outcome, code, provider, type, state, SUM(n)
      FROM ${table}_count_log CROSS JOIN (${GRAIN_ROWS}) WHERE true
      GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING SUM(n) <> 0
      ON CONFLICT (grain, bucket, outcome, code, provider, type, state) DO UPDATE SET n = n + excluded.n`,
    clearLog: `DELETE FROM ${table}_count_log`,
  }
}

/** The read statements, prepared on the archive's own connection. */
export function sqliteReadSql(table: string): { get: string; bucketCounts: string; rawCounts: string } {
  return {
    get: `SELECT ${RECORD_SELECT} FROM ${table} WHERE delivery_id = ?`,
    bucketCounts: `SELECT outcome, code, provider, type, state, SUM(n) AS n FROM ${table}_counts
      WHERE grain = ? AND bucket >= ? AND bucket < ? GROUP BY outcome, code, provider, type, state`,
    rawCounts: `SELECT outcome, COALESCE(code, '') AS code, provider, COALESCE(type, '') AS type,
      COALESCE(state, '') AS state, COUNT(*) AS n FROM ${table}
      WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2, 3, 4, 5`,
  }
}
