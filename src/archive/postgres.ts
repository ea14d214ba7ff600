/**
 * Delivery archive in PostgreSQL (`pg`), shared by every instance on the
 * same database: records with raw bodies as bytea, plus a counts table kept
 * by statement-level triggers that makes `stats()` fast at any size (see
 * internal/stats.ts and internal/postgres-schema.ts).
 *
 * The tables are created by {@link migratePostgresArchive} (or
 * `archive.migrate()`), never implicitly. Until they exist, every call fails
 * with an error that names the migration, logged once (not once per batch);
 * behind the receiver's recorder that only drops and counts records —
 * archiving never fails a delivery.
 *
 * @module
 */
import { configError } from '../errors.js'
import { resolveLogger } from '../internal/log.js'
import type { ArchivePage, ArchiveStats, DeliveryArchive, DeliveryRecord, Logger } from '../types/index.js'
import { ALL_COLUMNS, rowToRecord, rowToSummary, SUMMARY_SELECT, type Row } from './internal/columns.js'
import { resolvePolicy, shapeBatch, type ArchivePolicyOptions } from './internal/policy.js'
import { parsePgTable, pgMigrationSql, pgStatements, type PgNames } from './internal/postgres-schema.js'
import {
  encodeCursor,
  FILTER_NAMES,
  resolveQuery,
  resolveRange,
  type ResolvedQuery,
  type ResolvedRange,
} from './internal/query.js'
import { checkBatch, checkProgress, lastPerDelivery } from './internal/record.js'
import { reported } from './internal/reported.js'
import { splitRange, toStats, type CountRow } from './internal/stats.js'
import { guardIdleErrors } from '../internal/pg-pool.js'

/** What the archive needs from `pg`: a `Pool`, a `Client` or a `PoolClient` all fit. */
export interface PostgresArchiveQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>
}

export interface PostgresArchiveOptions extends ArchivePolicyOptions {
  /**
   * Required: a `pg` `Pool` (recommended; set `query_timeout`) or a connected
   * `Client`, whose queries the archive then sends one at a time. Never ended by the archive.
   */
  pool: PostgresArchiveQueryable
  /**
   * Records table, optionally schema-qualified (`schema.table`); lower-case
   * letters, digits and `_`, at most 48 characters per part. The counts table is `<table>_counts`.
   * @default 'hookguard_archive'
   */
  table?: string
  /** Where the "table missing, run the migration" error is logged, once until it is fixed. `false` for silence. @default the console */
  logger?: Logger | false
  /** Records deleted per statement by `purge()`, which repeats until nothing old is left. @default 5000 */
  purgeBatchSize?: number
}

export interface MigratePostgresArchiveOptions {
  /** Same rules and default as {@link PostgresArchiveOptions.table}. @default 'hookguard_archive' */
  table?: string
}

export interface PostgresArchive extends DeliveryArchive {
  /** The records table in use, as given. */
  readonly table: string
  /** Create the tables, indexes and triggers if missing. Same as {@link migratePostgresArchive}. */
  migrate(): Promise<void>
}

const WHERE = 'postgresArchive'
const UNDEFINED_TABLE = '42P01'
const COLUMN_BY_FILTER = { outcome: 'outcome', provider: 'provider', type: 'type', code: 'code', eventId: 'event_id' }

function checkPool(caller: string, pool: unknown): PostgresArchiveQueryable {
  if (!pool || typeof (pool as PostgresArchiveQueryable).query !== 'function') {
    throw configError(
      `${caller}: pool is required — pass a pg Pool (new Pool({ connectionString: process.env.DATABASE_URL })) or a connected Client`,
    )
  }
  return pool as PostgresArchiveQueryable
}

/**
 * Create the archive tables (records and counts), their indexes and the
 * counting triggers if they do not exist. Safe to run on every deploy and
 * from several instances at once (one transaction under an advisory lock).
 *
 * @example
 * ```ts
 * import { Pool } from 'pg'
 * import { migratePostgresArchive } from 'hookguard/postgres'
 *
 * await migratePostgresArchive(new Pool({ connectionString: process.env.DATABASE_URL }))
 * ```
 */
export async function migratePostgresArchive(
  pool: PostgresArchiveQueryable,
  options: MigratePostgresArchiveOptions = {},
): Promise<void> {
  const table = parsePgTable('migratePostgresArchive', options?.table)
  await checkPool('migratePostgresArchive', pool).query(pgMigrationSql(table))
}

/** PostgreSQL text cannot hold NUL; such characters become U+FFFD rather than fail the whole batch. */
function text(value: string | undefined): string | null {
  if (value === undefined) return null
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value
}

/** One array per column, in ALL_COLUMNS order, for `unnest`. */
function columnArrays(records: readonly DeliveryRecord[]): unknown[][] {
  const pick: Array<(r: DeliveryRecord) => unknown> = [
    (r) => r.deliveryId,
    (r) => r.receivedAt,
    (r) => text(r.receiver),
    (r) => text(r.provider),
    (r) => text(r.method),
    (r) => text(r.path),
    (r) => text(JSON.stringify(r.headers)),
    (r) => r.bodySize,
    (r) => r.truncated,
    (r) => r.status,
    (r) => r.outcome,
    (r) => text(r.code),
    (r) => text(r.reason),
    (r) => r.durationMs,
    (r) => text(r.eventId),
    (r) => text(r.key),
    (r) => text(r.type),
    (r) => text(r.replayOf),
    (r) => r.verified ?? null,
    (r) => r.state ?? null,
    (r) => r.attempts ?? null,
    (r) => text(r.lastError),
    (r) => r.updatedAt ?? null,
    (r) => (r.sealedHeaders === undefined ? null : text(JSON.stringify(r.sealedHeaders))),
    (r) => r.body ?? null,
  ]
  return pick.map((get) => records.map(get))
}

function listSql(table: PgNames, query: ResolvedQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [query.since]
  const where = ['received_at >= $1']
  const add = (clause: (n: string) => string, value: unknown): void => {
    params.push(value)
    where.push(clause(`$${params.length}`))
  }
  if (query.until !== Infinity) add((n) => `received_at < ${n}`, query.until)
  for (const name of FILTER_NAMES) {
    const value = query.filters[name]
    if (value !== undefined) add((n) => `${COLUMN_BY_FILTER[name]} = ${n}`, value)
  }
  if (query.filters.outcome !== undefined && query.filters.outcome !== 'accepted') where.push(`outcome <> 'accepted'`)
  if (query.before) {
    params.push(query.before.receivedAt, query.before.deliveryId)
    where.push(`(received_at, delivery_id) < ($${params.length - 1}, $${params.length})`)
  }
  params.push(query.limit + 1)
  return {
    sql: `SELECT ${SUMMARY_SELECT} FROM ${table.records} WHERE ${where.join(' AND ')}
      ORDER BY received_at DESC, delivery_id DESC LIMIT $${params.length}`,
    params,
  }
}

function statsSql(sql: ReturnType<typeof pgStatements>, since: number, until: number) {
  const parts: string[] = []
  const params: unknown[] = []
  for (const segment of splitRange({ since, until })) {
    const to = segment.to === Infinity ? Number.MAX_SAFE_INTEGER : segment.to
    if (segment.grain === 0) {
      parts.push(sql.rawCounts(params.length + 1))
      params.push(segment.from, to)
    } else {
      parts.push(sql.bucketCounts(params.length + 1))
      params.push(segment.grain, segment.from, to)
    }
  }
  return { sql: parts.join('\nUNION ALL\n'), params }
}

/** Sends queries: side by side on a Pool, one at a time on a single Client (pg 9 refuses overlapping ones). */
function sender(pool: PostgresArchiveQueryable) {
  const isPool = typeof (pool as { totalCount?: unknown }).totalCount === 'number'
  let tail: Promise<unknown> = Promise.resolve()
  return (text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }> => {
    if (isPool) return pool.query(text, values)
    const result = tail.then(() => pool.query(text, values))
    tail = result.catch(() => {})
    return result
  }
}

type Query = ReturnType<typeof sender>

/** The reads: list, get and stats. */
function pgReader(query: Query, table: PgNames, sql: ReturnType<typeof pgStatements>) {
  return {
    async list(q: ResolvedQuery): Promise<ArchivePage> {
      const { sql: text, params } = listSql(table, q)
      const { rows } = await query(text, params)
      const items = (rows as Row[]).slice(0, q.limit).map(rowToSummary)
      const last = items.at(-1)
      return { items, ...(rows.length > q.limit && last ? { cursor: encodeCursor(last) } : {}) }
    },
    async get(deliveryId: string): Promise<DeliveryRecord | undefined> {
      const { rows } = await query(sql.get, [deliveryId])
      return rows[0] ? rowToRecord(rows[0] as Row) : undefined
    },
    async stats({ since, until }: ResolvedRange): Promise<ArchiveStats> {
      const { sql: text, params } = statsSql(sql, since, until)
      const { rows } = await query(text, params)
      return toStats(rows as CountRow[])
    },
  }
}

/** Applies progress in one statement; UPDATE … FROM takes one input row per record, so the latest update of each. */
async function applyProgress(query: Query, sql: ReturnType<typeof pgStatements>, updates: unknown): Promise<void> {
  const checked = checkBatch(`${WHERE}.progress`, updates).map((u) => checkProgress(`${WHERE}.progress`, u))
  const latest = lastPerDelivery(checked)
  if (latest.length === 0) return
  await query(sql.progress, [
    latest.map((u) => u.deliveryId),
    latest.map((u) => u.state),
    latest.map((u) => u.attempts),
    latest.map((u) => text(u.lastError)),
    latest.map((u) => u.at),
  ])
}

function checkOptions(options: PostgresArchiveOptions) {
  if (!options || typeof options !== 'object')
    throw configError(`${WHERE} needs an options object: postgresArchive({ pool })`)
  const pool = checkPool(WHERE, options.pool)
  const table = parsePgTable(WHERE, options.table)
  const { policy, now } = resolvePolicy(WHERE, options)
  const logger = resolveLogger(WHERE, options.logger)
  const purgeBatchSize = options.purgeBatchSize ?? 5000
  if (!Number.isSafeInteger(purgeBatchSize) || purgeBatchSize < 1)
    throw configError(`${WHERE}: purgeBatchSize must be a positive integer (got ${String(purgeBatchSize)})`)
  return { pool, table, policy, now, logger, purgeBatchSize }
}

/**
 * A delivery archive on PostgreSQL. Run {@link migratePostgresArchive} (or
 * `archive.migrate()`) once first.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg'
 * import { createReceiver, stripe } from 'hookguard'
 * import { postgresArchive } from 'hookguard/postgres'
 *
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL, query_timeout: 5000 })
 * const archive = postgresArchive({ pool, retentionMs: 14 * 24 * 3600_000 })
 * await archive.migrate()
 * const receiver = createReceiver({ provider: stripe({ secret }), archive })
 * ```
 */
export function postgresArchive(options: PostgresArchiveOptions): PostgresArchive {
  const { pool, table, policy, now, logger, purgeBatchSize } = checkOptions(options)
  guardIdleErrors(pool, logger, WHERE)
  const sql = pgStatements(table, ALL_COLUMNS)
  const send = sender(pool)
  const query = missingTableReporter(send, table, logger)
  const reader = pgReader(query, table, sql)
  return {
    policy,
    table: table.name,
    async write(records) {
      const shaped = shapeBatch(`${WHERE}.write`, policy, records, 'view')
      if (shaped.length > 0) await query(sql.insert, columnArrays(shaped))
    },
    progress: (updates) => applyProgress(query, sql, updates),
    list: async (q) => reader.list(resolveQuery(`${WHERE}.list`, q)),
    get: async (deliveryId) => (typeof deliveryId === 'string' ? reader.get(deliveryId) : undefined),
    stats: async (range) => reader.stats(resolveRange(`${WHERE}.stats`, range)),
    async purge() {
      const cutoff = now() - policy.retentionMs
      let total = 0
      let deleted: number
      do {
        deleted = (await query(sql.purge, [cutoff, purgeBatchSize])).rowCount ?? 0
        total += deleted
      } while (deleted === purgeBatchSize)
      await query(sql.dropZero, [])
      return total
    },
    async migrate() {
      await send(pgMigrationSql(table))
    },
  }
}

/**
 * Wraps queries so a missing table is logged once (until a query succeeds
 * again) with the migration to run, and rejects with an error marked as
 * already logged, so the recorder counts it without a second line.
 */
function missingTableReporter(send: Query, table: PgNames, logger: Logger): Query {
  let warned = false
  const migration = `migratePostgresArchive(pool, { table: '${table.name}' })`
  return async (text, values) => {
    try {
      const result = await send(text, values)
      warned = false
      return result
    } catch (error) {
      if ((error as { code?: unknown })?.code !== UNDEFINED_TABLE) throw error
      const message = `delivery archive table ${table.name} does not exist; run ${migration} (or archive.migrate()) once — records are dropped until then`
      if (!warned) {
        warned = true
        logger.error({ table: table.name, migration }, message)
      }
      throw reported(new Error(`hookguard: ${WHERE}: ${message}`, { cause: error }))
    }
  }
}
