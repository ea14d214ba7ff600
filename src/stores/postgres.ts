/**
 * Dedupe store on PostgreSQL (`pg`), for teams that already run it. One
 * table for the keys and one for the ordering guard's versions; each step is
 * one statement: reserve is an `INSERT … ON CONFLICT DO UPDATE … WHERE
 * expired`, complete and release are compare-and-set on the owner token,
 * forget deletes a completed key, advance is an upsert that only moves a
 * version forward.
 *
 * Every expiry is computed by the database server's clock
 * (`clock_timestamp()`), never by the application's: instances with skewed
 * clocks still agree on when a lease or a retention period ends.
 *
 * The tables are created by {@link migratePostgresStore} (or `store.migrate()`),
 * never implicitly. Until they exist, calls fail with an error that says so,
 * and the receiver answers 503.
 *
 * @module
 */
import { randomToken } from '../crypto.js'
import { configError } from '../errors.js'
import { resolveLogger } from '../internal/log.js'
import type { DedupeStore, Logger, ReserveResult } from '../types/index.js'
import { guardIdleErrors } from '../internal/pg-pool.js'

/** What the store needs from `pg`: a `Pool`, a `Client` or a `PoolClient` all fit. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>
}

export interface PostgresStoreOptions {
  /**
   * Required: a `pg` `Pool` (recommended) or a connected `Client`, whose
   * queries the store then sends one at a time. The store never ends it.
   */
  pool: PostgresQueryable
  /**
   * Table name, optionally schema-qualified (`schema.table`); lower-case
   * letters, digits and `_`, at most 48 characters per part. The ordering
   * guard's versions live next to it in `<table>_versions`.
   * @default 'hookguard_dedupe'
   */
  table?: string
  /**
   * Where the "table missing, run the migration" error is logged (once per
   * table until it is fixed): a pino-compatible logger, or `false` for silence.
   * @default console
   */
  logger?: Logger | false
}

export interface MigrateOptions {
  /**
   * Same rules as {@link PostgresStoreOptions.table}.
   * @default 'hookguard_dedupe'
   */
  table?: string
}

export interface PurgeOptions {
  /**
   * Rows deleted per statement, so a large purge never holds long locks.
   * @default 10000
   */
  batchSize?: number
}

export interface PostgresStore extends DedupeStore {
  /** The table name in use, as given (validated). */
  readonly table: string
  /** The pool given to `postgresStore`: `postgresQueue` on the same pool dedupes and enqueues in one transaction. */
  readonly pool: PostgresQueryable
  forget(key: string): Promise<boolean>
  advance(entity: string, version: number, retentionMs: number): Promise<boolean>
  /** Create the tables and their indexes if they do not exist. Same as {@link migratePostgresStore}. */
  migrate(): Promise<void>
  /**
   * Delete keys and ordering records whose lease or retention has ended;
   * returns how many. Expired rows are already ignored by every call, so this
   * only reclaims space: run it from a cron (hourly is plenty).
   */
  purge(options?: PurgeOptions): Promise<number>
}

const DEFAULT_TABLE = 'hookguard_dedupe'
const PART = /^[a-z_][a-z0-9_]{0,47}$/
const UNDEFINED_TABLE = '42P01'

interface TableNames {
  /** As the user wrote it (or derived from it), for messages. */
  name: string
  /** Quoted for SQL. */
  sql: string
  /** Unqualified index name (it lives in the table's schema). */
  index: string
}

interface Tables {
  keys: TableNames
  versions: TableNames
}

function names(parts: string[]): TableNames {
  return {
    name: parts.join('.'),
    sql: parts.map((part) => `"${part}"`).join('.'),
    index: `"${parts.at(-1)}_expires_at_idx"`,
  }
}

function parseTable(caller: string, table: unknown): Tables {
  const name = table ?? DEFAULT_TABLE
  const parts = typeof name === 'string' ? name.split('.') : []
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => PART.test(part))) {
    throw configError(
      `${caller}: table must be a lower-case identifier such as 'hookguard_dedupe' or 'myschema.hookguard_dedupe' ` +
        `(letters, digits, _; at most 48 characters per part; got ${JSON.stringify(name)})`,
    )
  }
  return { keys: names(parts), versions: names([...parts.slice(0, -1), `${parts.at(-1)}_versions`]) }
}

function checkPool(caller: string, pool: unknown): PostgresQueryable {
  if (!pool || typeof (pool as PostgresQueryable).query !== 'function') {
    throw configError(
      `${caller}: pool is required — pass a pg Pool (new Pool({ connectionString: process.env.DATABASE_URL })) or a connected Client`,
    )
  }
  return pool as PostgresQueryable
}

function migrationSql({ keys, versions }: Tables): string {
  // One simple-protocol query runs as one implicit transaction; the advisory
  // lock keeps two instances migrating at once from racing on the catalog.
  // float8 holds every JavaScript number exactly, so versions compare exactly.
  return `
SELECT pg_advisory_xact_lock(hashtext('hookguard:migrate:${keys.name}'));
CREATE TABLE IF NOT EXISTS ${keys.sql} (
  key text PRIMARY KEY,
  token text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${keys.index} ON ${keys.sql} (expires_at);
CREATE TABLE IF NOT EXISTS ${versions.sql} (
  entity text PRIMARY KEY,
  version float8 NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${versions.index} ON ${versions.sql} (expires_at);
`
}

/**
 * Create the dedupe table and the ordering guard's `<table>_versions` (with
 * an index on `expires_at` each, for purges) if they do not exist. Safe to
 * run on every deploy and from several instances at once; running it again
 * after an upgrade adds what the new version needs.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg'
 * import { migratePostgresStore } from 'hookguard/postgres'
 *
 * await migratePostgresStore(new Pool({ connectionString: process.env.DATABASE_URL }))
 * ```
 */
export async function migratePostgresStore(pool: PostgresQueryable, options: MigrateOptions = {}): Promise<void> {
  const tables = parseTable('migratePostgresStore', options?.table)
  await checkPool('migratePostgresStore', pool).query(migrationSql(tables))
}

function statements({ keys, versions }: Tables) {
  const t = keys.sql
  const v = versions.sql
  const expiry = `clock_timestamp() + $3::float8 * interval '1 millisecond'`
  return {
    // The outer SELECT reads the statement's snapshot, which may predate a
    // concurrent winner's commit; then it finds no live row and the caller
    // answers in_flight, which is always safe (the sender retries).
    reserve: `
WITH won AS (
  INSERT INTO ${t} AS d (key, token, done, expires_at) VALUES ($1, $2, false, ${expiry})
  ON CONFLICT (key) DO UPDATE SET token = excluded.token, done = false, expires_at = excluded.expires_at
  WHERE d.expires_at <= clock_timestamp()
  RETURNING 1
)
SELECT 'reserved' AS status, NULL::float8 AS remaining_ms FROM won
UNION ALL
SELECT CASE WHEN done THEN 'duplicate' ELSE 'in_flight' END,
       ceil(extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8
FROM ${t}
WHERE key = $1 AND expires_at > clock_timestamp() AND NOT EXISTS (SELECT 1 FROM won)`,
    complete: `
UPDATE ${t} SET done = true, expires_at = ${expiry}
WHERE key = $1 AND token = $2 AND NOT done AND expires_at > clock_timestamp()`,
    release: `DELETE FROM ${t} WHERE key = $1 AND token = $2 AND NOT done`,
    forget: `DELETE FROM ${t} WHERE key = $1 AND done AND expires_at > clock_timestamp()`,
    // One row inserted or updated when the record is missing, expired or not newer; none when it is newer.
    // Concurrent callers on one entity queue on its row lock and re-check the WHERE on the latest version.
    advance: `
INSERT INTO ${v} AS r (entity, version, expires_at) VALUES ($1, $2::float8, ${expiry})
ON CONFLICT (entity) DO UPDATE SET version = excluded.version, expires_at = excluded.expires_at
WHERE r.version <= excluded.version OR r.expires_at <= clock_timestamp()`,
    purgeKeys: `DELETE FROM ${t} WHERE key IN (SELECT key FROM ${t} WHERE expires_at <= clock_timestamp() LIMIT $1)`,
    purgeVersions: `
DELETE FROM ${v} WHERE entity IN (SELECT entity FROM ${v} WHERE expires_at <= clock_timestamp() LIMIT $1)`,
  }
}

type Result = { rows: any[]; rowCount: number | null }
type Send = (text: string, values?: unknown[]) => Promise<Result>

/** A Pool runs queries side by side; a single Client must get them one at a time (pg 9 refuses overlaps). */
function sender(pool: PostgresQueryable): Send {
  if (typeof (pool as { totalCount?: unknown }).totalCount === 'number')
    return (text, values) => pool.query(text, values)
  let tail: Promise<unknown> = Promise.resolve()
  return (text, values) => {
    const result = tail.then(() => pool.query(text, values))
    tail = result.catch(() => {})
    return result
  }
}

/** Runs a statement on one table; a missing table becomes an error (logged once until fixed) that names the migration. */
function tableQuery(send: Send, logger: Logger, keysTable: string) {
  const warned = new Set<string>()
  return async (table: TableNames, text: string, values: unknown[]): Promise<Result> => {
    try {
      const result = await send(text, values)
      warned.delete(table.name)
      return result
    } catch (error) {
      if ((error as { code?: unknown })?.code !== UNDEFINED_TABLE) throw error
      const migration = `migratePostgresStore(pool, { table: '${keysTable}' })`
      const message =
        `postgresStore: table ${table.name} does not exist; run ${migration} (or store.migrate()) ` +
        'before serving — deliveries get 503 until then'
      if (!warned.has(table.name)) {
        warned.add(table.name)
        logger.error({ table: table.name, migration }, message)
      }
      throw new Error(`hookguard ${message}`, { cause: error })
    }
  }
}

function ms(method: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw configError(`postgresStore.${method}: ${name} must be a positive number of ms (got ${String(value)})`)
  return Math.ceil(value)
}

function reserveResult(row: { status: string; remaining_ms: number | null } | undefined, token: string): ReserveResult {
  if (row?.status === 'reserved') return { status: 'reserved', token }
  if (row?.status === 'duplicate') return { status: 'duplicate' }
  if (row?.status === 'in_flight' && typeof row.remaining_ms === 'number')
    return { status: 'in_flight', retryAfterMs: Math.max(0, row.remaining_ms) }
  return { status: 'in_flight' }
}

/**
 * A dedupe store on PostgreSQL. Run {@link migratePostgresStore} once first.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg'
 * import { createReceiver, stripe } from 'hookguard'
 * import { postgresStore } from 'hookguard/postgres'
 *
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL, query_timeout: 1000 })
 * const store = postgresStore({ pool })
 * await store.migrate()
 * const receiver = createReceiver({ provider: stripe({ secret }), store })
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  if (!options || typeof options !== 'object')
    throw configError('postgresStore needs an options object: postgresStore({ pool })')
  const pool = checkPool('postgresStore', options.pool)
  const tables = parseTable('postgresStore', options.table)
  const send = sender(pool)
  const logger = resolveLogger('postgresStore', options.logger)
  guardIdleErrors(pool, logger, 'postgresStore')
  const query = tableQuery(send, logger, tables.keys.name)
  const sql = statements(tables)
  const { keys, versions } = tables

  async function purgeTable(table: TableNames, text: string, batchSize: number): Promise<number> {
    let total = 0
    for (;;) {
      const { rowCount } = await query(table, text, [batchSize])
      total += rowCount ?? 0
      if ((rowCount ?? 0) < batchSize) return total
    }
  }

  return {
    table: keys.name,
    pool,
    async reserve(key, leaseMs) {
      const token = randomToken()
      const { rows } = await query(keys, sql.reserve, [key, token, ms('reserve', 'leaseMs', leaseMs)])
      return reserveResult(rows[0], token)
    },
    async complete(key, token, retentionMs) {
      const values = [key, token, ms('complete', 'retentionMs', retentionMs)]
      return (await query(keys, sql.complete, values)).rowCount === 1
    },
    async release(key, token) {
      return (await query(keys, sql.release, [key, token])).rowCount === 1
    },
    async forget(key) {
      return (await query(keys, sql.forget, [key])).rowCount === 1
    },
    async advance(entity, version, retentionMs) {
      if (typeof version !== 'number' || !Number.isFinite(version))
        throw configError(`postgresStore.advance: version must be a finite number (got ${String(version)})`)
      const values = [entity, version, ms('advance', 'retentionMs', retentionMs)]
      return (await query(versions, sql.advance, values)).rowCount === 1
    },
    async migrate() {
      await send(migrationSql(tables))
    },
    async purge(purgeOptions = {}) {
      const batchSize = purgeOptions.batchSize ?? 10_000
      if (!Number.isInteger(batchSize) || batchSize < 1)
        throw configError('postgresStore.purge: batchSize must be a positive integer')
      return (
        (await purgeTable(keys, sql.purgeKeys, batchSize)) + (await purgeTable(versions, sql.purgeVersions, batchSize))
      )
    },
  }
}
