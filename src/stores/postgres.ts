/**
 * Dedupe store on PostgreSQL (`pg`), for teams that already run it. One
 * table; each step is one statement: reserve is an `INSERT … ON CONFLICT DO
 * UPDATE … WHERE expired`, complete and release are compare-and-set on the
 * owner token.
 *
 * Every expiry is computed by the database server's clock
 * (`clock_timestamp()`), never by the application's: instances with skewed
 * clocks still agree on when a lease or a retention period ends.
 *
 * The table is created by {@link migratePostgresStore} (or `store.migrate()`),
 * never implicitly. Until it exists, `reserve` fails with an error that says
 * so, and the receiver answers 503.
 *
 * @module
 */
import { randomToken } from '../crypto.js'
import { configError } from '../errors.js'
import type { DedupeStore, ReserveResult } from '../types/index.js'

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
   * letters, digits and `_`, at most 48 characters per part. Default `'hookguard_dedupe'`.
   */
  table?: string
  /** Where the "table missing, run the migration" error is logged (once until it is fixed). Default `console`; `false` for silence. */
  logger?: { error(message: string): void } | false
}

export interface MigrateOptions {
  /** Same rules and default as {@link PostgresStoreOptions.table}. Default `'hookguard_dedupe'`. */
  table?: string
}

export interface PurgeOptions {
  /** Rows deleted per statement, so a large purge never holds long locks. Default 10 000. */
  batchSize?: number
}

export interface PostgresStore extends DedupeStore {
  /** The table name in use, as given (validated). */
  readonly table: string
  /** Create the table and its index if they do not exist. Same as {@link migratePostgresStore}. */
  migrate(): Promise<void>
  /**
   * Delete rows whose lease or retention has ended; returns how many. Expired
   * rows are already ignored by `reserve`, so this only reclaims space: run it
   * from a cron (hourly is plenty).
   */
  purge(options?: PurgeOptions): Promise<number>
}

const DEFAULT_TABLE = 'hookguard_dedupe'
const PART = /^[a-z_][a-z0-9_]{0,47}$/
const UNDEFINED_TABLE = '42P01'

interface Table {
  /** As the user wrote it, for messages. */
  name: string
  /** Quoted for SQL. */
  sql: string
  /** Unqualified index name (it lives in the table's schema). */
  index: string
}

function parseTable(caller: string, table: unknown): Table {
  const name = table ?? DEFAULT_TABLE
  const parts = typeof name === 'string' ? name.split('.') : []
  if (parts.length < 1 || parts.length > 2 || !parts.every((part) => PART.test(part))) {
    throw configError(
      `${caller}: table must be a lower-case identifier such as 'hookguard_dedupe' or 'myschema.hookguard_dedupe' ` +
        `(letters, digits, _; at most 48 characters per part; got ${JSON.stringify(name)})`,
    )
  }
  return {
    name: name as string,
    sql: parts.map((part) => `"${part}"`).join('.'),
    index: `"${parts.at(-1)}_expires_at_idx"`,
  }
}

function checkPool(caller: string, pool: unknown): PostgresQueryable {
  if (!pool || typeof (pool as PostgresQueryable).query !== 'function') {
    throw configError(
      `${caller}: pool is required — pass a pg Pool (new Pool({ connectionString: process.env.DATABASE_URL })) or a connected Client`,
    )
  }
  return pool as PostgresQueryable
}

function migrationSql(table: Table): string {
  // One simple-protocol query runs as one implicit transaction; the advisory
  // lock keeps two instances migrating at once from racing on the catalog.
  return `
SELECT pg_advisory_xact_lock(hashtext('hookguard:migrate:${table.name}'));
CREATE TABLE IF NOT EXISTS ${table.sql} (
  key text PRIMARY KEY,
  token text NOT NULL,
  done boolean NOT NULL DEFAULT false,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${table.index} ON ${table.sql} (expires_at);
`
}

/**
 * Create the dedupe table (and an index on `expires_at` for purges) if they
 * do not exist. Safe to run on every deploy and from several instances at once.
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
  const table = parseTable('migratePostgresStore', options?.table)
  await checkPool('migratePostgresStore', pool).query(migrationSql(table))
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
  const table = parseTable('postgresStore', options.table)
  const logger = options.logger === false ? undefined : (options.logger ?? console)
  if (logger && typeof logger.error !== 'function')
    throw configError('postgresStore: logger must have an error(message) method, or be false')
  let warnedMissing = false

  const t = table.sql
  const lease = `clock_timestamp() + $3::float8 * interval '1 millisecond'`
  // The outer SELECT reads the statement's snapshot, which may predate a
  // concurrent winner's commit; then it finds no live row and the caller
  // answers in_flight, which is always safe (the sender retries).
  const reserveSql = `
WITH won AS (
  INSERT INTO ${t} AS d (key, token, done, expires_at) VALUES ($1, $2, false, ${lease})
  ON CONFLICT (key) DO UPDATE SET token = excluded.token, done = false, expires_at = excluded.expires_at
  WHERE d.expires_at <= clock_timestamp()
  RETURNING 1
)
SELECT 'reserved' AS status, NULL::float8 AS remaining_ms FROM won
UNION ALL
SELECT CASE WHEN done THEN 'duplicate' ELSE 'in_flight' END,
       ceil(extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8
FROM ${t}
WHERE key = $1 AND expires_at > clock_timestamp() AND NOT EXISTS (SELECT 1 FROM won)`
  const completeSql = `
UPDATE ${t} SET done = true, expires_at = ${lease}
WHERE key = $1 AND token = $2 AND NOT done AND expires_at > clock_timestamp()`
  const releaseSql = `DELETE FROM ${t} WHERE key = $1 AND token = $2 AND NOT done`
  const purgeSql = `
DELETE FROM ${t} WHERE key IN (SELECT key FROM ${t} WHERE expires_at <= clock_timestamp() LIMIT $1)`

  // A Pool runs queries side by side; a single Client must get them one at a
  // time (pg 8 warns about overlapping queries on one Client, pg 9 refuses them).
  const isPool = typeof (pool as { totalCount?: unknown }).totalCount === 'number'
  let tail: Promise<unknown> = Promise.resolve()
  function send(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }> {
    if (isPool) return pool.query(text, values)
    const result = tail.then(() => pool.query(text, values))
    tail = result.catch(() => {})
    return result
  }

  async function query(text: string, values: unknown[]): Promise<{ rows: any[]; rowCount: number | null }> {
    try {
      const result = await send(text, values)
      warnedMissing = false
      return result
    } catch (error) {
      if ((error as { code?: unknown })?.code !== UNDEFINED_TABLE) throw error
      const message =
        `hookguard postgresStore: table ${table.name} does not exist; run ` +
        `migratePostgresStore(pool, { table: '${table.name}' }) (or store.migrate()) once before serving — deliveries get 503 until then`
      if (!warnedMissing) {
        warnedMissing = true
        logger?.error(message)
      }
      throw new Error(message, { cause: error })
    }
  }

  function ms(method: string, name: string, value: number): number {
    if (!Number.isFinite(value) || value <= 0)
      throw configError(`postgresStore.${method}: ${name} must be a positive number of ms (got ${String(value)})`)
    return Math.ceil(value)
  }

  return {
    table: table.name,
    async reserve(key, leaseMs): Promise<ReserveResult> {
      const token = randomToken()
      const { rows } = await query(reserveSql, [key, token, ms('reserve', 'leaseMs', leaseMs)])
      const row = rows[0] as { status: string; remaining_ms: number | null } | undefined
      if (row?.status === 'reserved') return { status: 'reserved', token }
      if (row?.status === 'duplicate') return { status: 'duplicate' }
      if (row?.status === 'in_flight' && typeof row.remaining_ms === 'number')
        return { status: 'in_flight', retryAfterMs: Math.max(0, row.remaining_ms) }
      return { status: 'in_flight' }
    },
    async complete(key, token, retentionMs) {
      const { rowCount } = await query(completeSql, [key, token, ms('complete', 'retentionMs', retentionMs)])
      return rowCount === 1
    },
    async release(key, token) {
      const { rowCount } = await query(releaseSql, [key, token])
      return rowCount === 1
    },
    async migrate() {
      await send(migrationSql(table))
    },
    async purge(purgeOptions = {}) {
      const batchSize = purgeOptions.batchSize ?? 10_000
      if (!Number.isInteger(batchSize) || batchSize < 1)
        throw configError('postgresStore.purge: batchSize must be a positive integer')
      let total = 0
      for (;;) {
        const { rowCount } = await query(purgeSql, [batchSize])
        total += rowCount ?? 0
        if ((rowCount ?? 0) < batchSize) return total
      }
    },
  }
}
