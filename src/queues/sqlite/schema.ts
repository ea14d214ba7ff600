/**
 * Internal: the jobs table — its columns, its creation, and the in-place
 * upgrade of a table an older hookguard created.
 *
 * @module
 */
import { ensureTable, type SqliteDatabase } from '../../internal/sqlite.js'
import { WHERE } from './options.js'

/** The columns of the first version of the table. */
const BASE_COLUMNS = [
  'id',
  'key',
  'state',
  'event_id',
  'provider',
  'type',
  'timestamp',
  'received_at',
  'payload',
  'headers',
  'attempt',
  'run_at',
  'claimed_by',
  'claimed_until',
  'last_error',
  'created_at',
  'updated_at',
  'expires_at',
] as const

/** Columns added since, each nullable so `ALTER TABLE ADD COLUMN` can add it to a table with rows. */
const ADDED_COLUMNS = [
  { name: 'delivery_id', type: 'TEXT' },
  { name: 'meta', type: 'TEXT' },
] as const

const COLUMNS: readonly string[] = [...BASE_COLUMNS, ...ADDED_COLUMNS.map((column) => column.name)]

function createTable(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
    event_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    type TEXT,
    timestamp INTEGER,
    received_at INTEGER NOT NULL,
    payload TEXT NOT NULL,
    headers TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    run_at INTEGER NOT NULL,
    claimed_by TEXT,
    claimed_until INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER,
    delivery_id TEXT,
    meta TEXT
  )`
}

function createIndexes(table: string): string {
  return `CREATE INDEX IF NOT EXISTS ${table}_due ON ${table} (state, run_at);
    CREATE INDEX IF NOT EXISTS ${table}_claims ON ${table} (state, claimed_until);
    CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at) WHERE expires_at IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ${table}_dead ON ${table} (updated_at) WHERE state = 'dead';`
}

function columnsOf(db: SqliteDatabase, table: string): Set<string> {
  return new Set((db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((column) => column.name))
}

/**
 * Adds the columns a table from an older hookguard lacks. Only a table that
 * has every original column is touched: someone else's table of the same
 * name is left for `ensureTable` to refuse. Runs under the write lock, so two
 * processes starting at once cannot both add a column.
 */
function upgrade(db: SqliteDatabase, table: string): void {
  const run = db.transaction(() => {
    const present = columnsOf(db, table)
    if (present.size === 0 || !BASE_COLUMNS.every((name) => present.has(name))) return
    for (const { name, type } of ADDED_COLUMNS) {
      if (!present.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`)
    }
  })
  run.immediate()
}

/** Creates the table when missing, upgrades an older one, and refuses a foreign table of the same name. */
export function prepareTable(db: SqliteDatabase, table: string): void {
  upgrade(db, table)
  ensureTable(WHERE, db, table, createTable(table), createIndexes(table), COLUMNS)
}
