/**
 * Delivery archive in a SQLite file (better-sqlite3): records with their raw
 * bodies as BLOBs, plus a small counts table kept by triggers that makes
 * `stats()` fast at any size (see internal/stats.ts). Tables are created
 * when missing. Writes run on a worker thread by default (see
 * internal/sqlite-writer.ts); reads run on the calling thread.
 *
 * @module
 */
import type { Statement } from 'better-sqlite3'
import { configError } from '../errors.js'
import {
  checkOptions,
  checkTableName,
  ensureTable,
  openSqlite,
  positiveInteger,
  type SqliteConnectionOptions,
  type SqliteDatabase,
} from '../internal/sqlite.js'
import type { ArchivePage, ArchivePolicy, ArchiveStats, DeliveryArchive, DeliveryRecord } from '../types/index.js'
import { ALL_COLUMNS, rowToRecord, rowToSummary, SUMMARY_SELECT, type Row } from './internal/columns.js'
import { resolvePolicy, shapeBatch, type ArchivePolicyOptions } from './internal/policy.js'
import {
  encodeCursor,
  FILTER_NAMES,
  resolveQuery,
  resolveRange,
  type ResolvedQuery,
  type ResolvedRange,
} from './internal/query.js'
import { checkBatch, checkProgress } from './internal/record.js'
import { COUNT_COLUMNS, LOG_COLUMNS, sqliteReadSql, sqliteSchema, sqliteWriteSql } from './internal/sqlite-schema.js'
import { inlineWriter, threadWriter, type SqliteWriter } from './internal/sqlite-writer.js'
import { splitRange, toStats, type CountRow } from './internal/stats.js'

export interface SqliteArchiveOptions extends SqliteConnectionOptions, ArchivePolicyOptions {
  /**
   * Records table, created when missing; the counts table next to it is `<table>_counts`.
   * @default 'hookguard_archive'
   */
  table?: string
  /**
   * Write from a worker thread with its own connection, so commits and WAL
   * checkpoints never block the event loop. Needs `path` (a connection you
   * pass cannot be shared with a thread); `false` writes on the calling thread.
   * @default true with `path`, false with `database`
   */
  worker?: boolean
  /**
   * Records deleted per transaction by `purge()`, which repeats batches until
   * nothing older than the retention is left, so no single transaction holds
   * the write lock for long.
   * @default 2000
   */
  purgeBatchSize?: number
}

export interface SqliteArchive extends DeliveryArchive {
  /** The records table in use. */
  readonly table: string
  close(): Promise<void>
}

const WHERE = 'sqliteArchive'
const COLUMN_BY_FILTER = { outcome: 'outcome', provider: 'provider', type: 'type', code: 'code', eventId: 'event_id' }

function listSql(table: string, query: ResolvedQuery): { sql: string; params: unknown[] } {
  const where: string[] = ['received_at >= ?']
  const params: unknown[] = [query.since]
  if (query.until !== Infinity) {
    where.push('received_at < ?')
    params.push(query.until)
  }
  for (const name of FILTER_NAMES) {
    const value = query.filters[name]
    if (value === undefined) continue
    where.push(`${COLUMN_BY_FILTER[name]} = ?`)
    params.push(value)
  }
  // Spelled as in the partial index's WHERE, so SQLite may use that index.
  if (query.filters.outcome !== undefined && query.filters.outcome !== 'accepted') where.push(`outcome <> 'accepted'`)
  if (query.before) {
    where.push('(received_at, delivery_id) < (?, ?)')
    params.push(query.before.receivedAt, query.before.deliveryId)
  }
  params.push(query.limit + 1)
  return {
    sql: `SELECT ${SUMMARY_SELECT} FROM ${table} WHERE ${where.join(' AND ')} ORDER BY received_at DESC, delivery_id DESC LIMIT ?`,
    params,
  }
}

/**
 * A delivery archive in a SQLite file.
 *
 * @example
 * ```ts
 * import { createReceiver, stripe } from 'hookguard'
 * import { sqliteArchive } from 'hookguard/sqlite'
 *
 * const archive = sqliteArchive({ path: 'webhooks.db', retentionMs: 7 * 24 * 3600_000 })
 * const receiver = createReceiver({ provider: stripe({ secret }), archive })
 * console.log(await archive.stats({ since: Date.now() - 3600_000 }))
 * ```
 */
export function sqliteArchive(options: SqliteArchiveOptions): SqliteArchive {
  checkOptions(WHERE, options)
  const { policy, now } = resolvePolicy(WHERE, options)
  const table = checkTableName(WHERE, options.table, 'hookguard_archive')
  const purgeBatchSize = positiveInteger(WHERE, 'purgeBatchSize', options.purgeBatchSize, 2000)
  const worker = options.worker ?? options.database === undefined
  if (typeof worker !== 'boolean') throw configError(`${WHERE}: worker must be true or false`)
  if (worker && options.database !== undefined)
    throw configError(
      `${WHERE}: worker: true needs path (a connection you pass cannot move to a thread); drop worker or pass path`,
    )
  // synchronous NORMAL on a connection we open: in WAL mode a commit survives a
  // process crash; only an OS crash or power loss can lose the last batches.
  // An archive row is a record of what happened, not the acknowledgment of an
  // event (the queue holds those durably), so an fsync per batch buys nothing
  // worth its cost. A connection you pass keeps its level.
  const { db, owned } = openSqlite(WHERE, options, 'normal', options.database === undefined ? 'set' : 'keep')
  let writer: SqliteWriter
  try {
    const schema = sqliteSchema(table)
    ensureTable(WHERE, db, table, schema.records, '', ALL_COLUMNS)
    ensureTable(WHERE, db, `${table}_count_log`, schema.log, '', LOG_COLUMNS)
    ensureTable(WHERE, db, `${table}_counts`, schema.counts, schema.extras, COUNT_COLUMNS)
    const sql = sqliteWriteSql(table)
    writer = worker ? threadWriter(options.path!, options.busyTimeoutMs ?? 1000, sql) : inlineWriter(db, sql)
  } catch (error) {
    if (owned) db.close()
    throw error
  }
  return buildArchive({ db, owned, table, policy, now, purgeBatchSize, writer })
}

interface Parts {
  db: SqliteDatabase
  owned: boolean
  table: string
  policy: ArchivePolicy
  now: () => number
  purgeBatchSize: number
  writer: SqliteWriter
}

/** The reads, on the archive's own connection. */
function sqliteReader(db: SqliteDatabase, table: string) {
  const read = sqliteReadSql(table)
  const s = {
    get: db.prepare(read.get),
    bucketCounts: db.prepare(read.bucketCounts),
    rawCounts: db.prepare(read.rawCounts),
  }
  const listCache = new Map<string, Statement<unknown[]>>()
  return {
    list(query: ResolvedQuery): ArchivePage {
      const { sql, params } = listSql(table, query)
      let statement = listCache.get(sql)
      if (!statement) listCache.set(sql, (statement = db.prepare<unknown[]>(sql)))
      const rows = statement.all(...params) as Row[]
      const items = rows.slice(0, query.limit).map(rowToSummary)
      const last = items.at(-1)
      return { items, ...(rows.length > query.limit && last ? { cursor: encodeCursor(last) } : {}) }
    },
    get(deliveryId: string): DeliveryRecord | undefined {
      const row = s.get.get(deliveryId) as Row | undefined
      return row && rowToRecord(row)
    },
    stats({ since, until }: ResolvedRange): ArchiveStats {
      const rows: CountRow[] = []
      for (const segment of splitRange({ since, until })) {
        const to = segment.to === Infinity ? Number.MAX_SAFE_INTEGER : segment.to
        if (segment.grain === 0) rows.push(...(s.rawCounts.all(segment.from, to) as CountRow[]))
        else rows.push(...(s.bucketCounts.all(segment.grain, segment.from, to) as CountRow[]))
      }
      return toStats(rows)
    },
  }
}

function buildArchive({ db, owned, table, policy, now, purgeBatchSize, writer }: Parts): SqliteArchive {
  const reader = sqliteReader(db, table)
  let closed = false
  function checkOpen(): void {
    if (closed) throw new Error(`hookguard: ${WHERE} is closed`)
  }
  return {
    policy,
    table,
    async write(records) {
      checkOpen()
      const shaped = shapeBatch(`${WHERE}.write`, policy, records, 'view')
      if (shaped.length > 0) await writer.write(shaped)
    },
    async progress(updates) {
      checkOpen()
      const checked = checkBatch(`${WHERE}.progress`, updates).map((u) => checkProgress(`${WHERE}.progress`, u))
      if (checked.length === 0) return
      await writer.progress(checked.map((u) => [u.state, u.attempts, u.lastError ?? null, u.at, u.deliveryId, u.at]))
    },
    async list(query) {
      checkOpen()
      return reader.list(resolveQuery(`${WHERE}.list`, query))
    },
    async get(deliveryId) {
      checkOpen()
      return typeof deliveryId === 'string' ? reader.get(deliveryId) : undefined
    },
    async stats(range) {
      checkOpen()
      return reader.stats(resolveRange(`${WHERE}.stats`, range))
    },
    async purge() {
      checkOpen()
      const cutoff = now() - policy.retentionMs
      let total = 0
      let deleted: number
      do {
        deleted = await writer.purge(cutoff, purgeBatchSize)
        total += deleted
      } while (deleted === purgeBatchSize)
      await writer.dropZeroCounts()
      return total
    },
    async close() {
      if (closed) return
      closed = true
      await writer.close()
      if (owned && db.open) db.close()
    },
  }
}
