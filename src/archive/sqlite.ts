/**
 * Delivery archive in a SQLite file (better-sqlite3): records with their raw
 * bodies as BLOBs, plus a small counts table that makes `stats()` fast at
 * any size (see internal/stats.ts). Tables are created when missing.
 *
 * @module
 */
import type { Statement } from 'better-sqlite3'
import {
  checkOptions,
  checkTableName,
  ensureTable,
  openSqlite,
  positiveInteger,
  type SqliteConnectionOptions,
  type SqliteDatabase,
} from '../internal/sqlite.js'
import type { ArchivePolicy, DeliveryArchive, DeliveryProgress, DeliveryRecord } from '../types/index.js'
import { ALL_COLUMNS, recordValues, rowToRecord, rowToSummary, SUMMARY_SELECT, type Row } from './internal/columns.js'
import { applyPolicy, resolvePolicy, type ArchivePolicyOptions } from './internal/policy.js'
import { encodeCursor, FILTER_NAMES, resolveQuery, resolveRange, type ResolvedQuery } from './internal/query.js'
import { checkBatch, checkProgress, checkRecord } from './internal/record.js'
import { countColumns, CountDeltas, splitRange, toStats, type CountRow } from './internal/stats.js'

export interface SqliteArchiveOptions extends SqliteConnectionOptions, ArchivePolicyOptions {
  /**
   * Records table, created when missing; the counts table next to it is
   * `<table>_counts`.
   * @default 'hookguard_archive'
   */
  table?: string
  /**
   * Records deleted per transaction by `purge()`, which yields to the event
   * loop between batches so a large purge never blocks it for long.
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

/** What progress and purge read of a record: its counts columns and times. */
type CountedRow = Parameters<typeof countColumns>[0] & { received_at: number; updated_at?: number | null }
const COLUMN_BY_FILTER = { outcome: 'outcome', provider: 'provider', type: 'type', code: 'code', eventId: 'event_id' }

function schema(table: string): { records: string; counts: string; indexes: string } {
  return {
    records: `CREATE TABLE IF NOT EXISTS ${table} (
      delivery_id TEXT PRIMARY KEY NOT NULL, received_at INTEGER NOT NULL,
      receiver TEXT NOT NULL, provider TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
      headers TEXT NOT NULL, body_size INTEGER NOT NULL, truncated INTEGER NOT NULL, status INTEGER NOT NULL,
      outcome TEXT NOT NULL, code TEXT, reason TEXT, duration_ms REAL NOT NULL, event_id TEXT, key TEXT, type TEXT,
      replay_of TEXT, verified INTEGER, state TEXT, attempts INTEGER, last_error TEXT, updated_at INTEGER, body BLOB
    )`,
    counts: `CREATE TABLE IF NOT EXISTS ${table}_counts (
      grain INTEGER NOT NULL, bucket INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL,
      provider TEXT NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL,
      PRIMARY KEY (grain, bucket, outcome, code, provider, type, state)
    ) WITHOUT ROWID`,
    // One index per list() filter, each ending in the list order so a filtered
    // page is an index range scan; code, type and event id are often absent,
    // so their indexes skip those rows.
    indexes: `
      CREATE INDEX IF NOT EXISTS ${table}_received ON ${table} (received_at, delivery_id);
      CREATE INDEX IF NOT EXISTS ${table}_outcome ON ${table} (outcome, received_at, delivery_id);
      CREATE INDEX IF NOT EXISTS ${table}_provider ON ${table} (provider, received_at, delivery_id);
      CREATE INDEX IF NOT EXISTS ${table}_type ON ${table} (type, received_at, delivery_id) WHERE type IS NOT NULL;
      CREATE INDEX IF NOT EXISTS ${table}_code ON ${table} (code, received_at, delivery_id) WHERE code IS NOT NULL;
      CREATE INDEX IF NOT EXISTS ${table}_event ON ${table} (event_id) WHERE event_id IS NOT NULL;`,
  }
}

/** better-sqlite3 binds neither booleans nor plain Uint8Arrays. */
function bindable(values: unknown[]): unknown[] {
  return values.map((value) => {
    if (typeof value === 'boolean') return value ? 1 : 0
    if (value instanceof Uint8Array && !Buffer.isBuffer(value))
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    return value
  })
}

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
  // synchronous NORMAL on a connection we open: in WAL mode a commit survives a
  // process crash; only an OS crash or power loss can lose the last batches.
  // An archive row is a record of what happened, not the acknowledgment of an
  // event (the queue holds those durably), so an fsync per batch buys nothing
  // worth its cost on the write path. A connection you pass keeps its level.
  const { db, owned } = openSqlite(WHERE, options, 'normal', options.database === undefined ? 'set' : 'keep')
  try {
    const ddl = schema(table)
    ensureTable(WHERE, db, table, ddl.records, ddl.indexes, ALL_COLUMNS)
    ensureTable(WHERE, db, `${table}_counts`, ddl.counts, '', ['grain', 'bucket', 'outcome', 'code', 'provider', 'type', 'state', 'n'])
  } catch (error) {
    if (owned) db.close()
    throw error
  }
  return buildArchive(db, owned, table, policy, now, purgeBatchSize)
}

function buildArchive(
  db: SqliteDatabase,
  owned: boolean,
  table: string,
  policy: ArchivePolicy,
  now: () => number,
  purgeBatchSize: number,
): SqliteArchive {
  const s = statements(db, table)
  const listCache = new Map<string, Statement<unknown[]>>()
  let closed = false

  function checkOpen(): void {
    if (closed) throw new Error(`hookguard: ${WHERE} is closed`)
  }

  function applyCounts(deltas: CountDeltas): void {
    for (const { grain, bucket, columns: c, n } of deltas.changes())
      s.count.run(grain, bucket, c.outcome, c.code, c.provider, c.type, c.state, n)
  }

  const writeTx = db.transaction((records: DeliveryRecord[]) => {
    const deltas = new CountDeltas()
    for (const record of records) {
      if (s.insert.run(...bindable(recordValues(record))).changes === 1)
        deltas.add(record.receivedAt, countColumns(record), 1)
    }
    applyCounts(deltas)
  })

  const progressTx = db.transaction((updates: DeliveryProgress[]) => {
    const deltas = new CountDeltas()
    for (const u of updates) {
      const row = s.current.get(u.deliveryId) as CountedRow | undefined
      if (!row || (row.updated_at != null && u.at < row.updated_at)) continue
      s.progress.run(u.state, u.attempts, u.lastError ?? null, u.at, u.deliveryId)
      const before = countColumns(row)
      deltas.add(row.received_at, before, -1)
      deltas.add(row.received_at, { ...before, state: u.state }, 1)
    }
    applyCounts(deltas)
  })

  const purgeTx = db.transaction((cutoff: number): number => {
    const gone = s.purge.all(cutoff, purgeBatchSize) as CountedRow[]
    const deltas = new CountDeltas()
    for (const row of gone) deltas.add(row.received_at, countColumns(row), -1)
    applyCounts(deltas)
    return gone.length
  })

  function list(query: ResolvedQuery) {
    const { sql, params } = listSql(table, query)
    let statement = listCache.get(sql)
    if (!statement) listCache.set(sql, (statement = db.prepare<unknown[]>(sql)))
    const rows = statement.all(...params) as Row[]
    const more = rows.length > query.limit
    const items = rows.slice(0, query.limit).map(rowToSummary)
    const last = items.at(-1)
    return { items, ...(more && last ? { cursor: encodeCursor(last) } : {}) }
  }

  function stats(since: number, until: number) {
    const rows: CountRow[] = []
    for (const segment of splitRange({ since, until })) {
      const to = segment.to === Infinity ? Number.MAX_SAFE_INTEGER : segment.to
      const statement = segment.grain === 0 ? s.rawCounts : s.bucketCounts
      const params = segment.grain === 0 ? [segment.from, to] : [segment.grain, segment.from, to]
      rows.push(...(statement.all(...params) as CountRow[]))
    }
    return toStats(rows)
  }

  return {
    policy,
    table,
    async write(records) {
      checkOpen()
      const checked = checkBatch(`${WHERE}.write`, records).map((r) => applyPolicy(policy, checkRecord(`${WHERE}.write`, r)))
      if (checked.length > 0) writeTx.immediate(checked)
    },
    async progress(updates) {
      checkOpen()
      const checked = checkBatch(`${WHERE}.progress`, updates).map((u) => checkProgress(`${WHERE}.progress`, u))
      if (checked.length > 0) progressTx.immediate(checked)
    },
    async list(query) {
      checkOpen()
      return list(resolveQuery(`${WHERE}.list`, query))
    },
    async get(deliveryId) {
      checkOpen()
      if (typeof deliveryId !== 'string') return undefined
      const row = s.get.get(deliveryId) as Row | undefined
      return row && rowToRecord(row)
    },
    async stats(range) {
      checkOpen()
      const { since, until } = resolveRange(`${WHERE}.stats`, range)
      return stats(since, until)
    },
    async purge() {
      checkOpen()
      const cutoff = now() - policy.retentionMs
      let total = 0
      for (;;) {
        const deleted = purgeTx.immediate(cutoff)
        total += deleted
        if (deleted < purgeBatchSize || closed) break
        await new Promise((resolve) => setImmediate(resolve))
      }
      if (!closed) s.dropZeroCounts.run()
      return total
    },
    async close() {
      if (closed) return
      closed = true
      if (owned && db.open) db.close()
    },
  }
}

function statements(db: SqliteDatabase, table: string) {
  const counted = `outcome, COALESCE(code, '') AS code, provider, COALESCE(type, '') AS type, COALESCE(state, '') AS state`
  return {
    insert: db.prepare(
      `INSERT INTO ${table} (${ALL_COLUMNS.join(', ')}) VALUES (${ALL_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (delivery_id) DO NOTHING`,
    ),
    count: db.prepare(
      `INSERT INTO ${table}_counts (grain, bucket, outcome, code, provider, type, state, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (grain, bucket, outcome, code, provider, type, state) DO UPDATE SET n = n + excluded.n`,
    ),
    current: db.prepare(
      `SELECT received_at, outcome, code, provider, type, state, updated_at FROM ${table} WHERE delivery_id = ?`,
    ),
    progress: db.prepare(
      `UPDATE ${table} SET state = ?, attempts = ?, last_error = COALESCE(?, last_error), updated_at = ? WHERE delivery_id = ?`,
    ),
    purge: db.prepare(
      `DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE received_at < ? ORDER BY received_at LIMIT ?)
       RETURNING received_at, outcome, code, provider, type, state`,
    ),
    dropZeroCounts: db.prepare(`DELETE FROM ${table}_counts WHERE n = 0`),
    get: db.prepare(`SELECT ${SUMMARY_SELECT}, body FROM ${table} WHERE delivery_id = ?`),
    bucketCounts: db.prepare(
      `SELECT outcome, code, provider, type, state, SUM(n) AS n FROM ${table}_counts
       WHERE grain = ? AND bucket >= ? AND bucket < ? GROUP BY outcome, code, provider, type, state`,
    ),
    rawCounts: db.prepare(
      `SELECT ${counted}, COUNT(*) AS n FROM ${table}
       WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2, 3, 4, 5`,
    ),
  }
}
