/**
 * Bytes on disk per archived delivery, and stats() time over a large
 * archive, for SQLite and PostgreSQL. Rows go in through `archive.write()`
 * (so the counting triggers run as in production), in bulk.
 */
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { migratePostgresArchive, postgresArchive } from '../../src/archive/postgres.js'
import { sqliteArchive } from '../../src/archive/sqlite.js'
import type { DeliveryArchive } from '../../src/types/index.js'
import { dataset, type DatasetOptions } from './dataset.js'

const DAY = 86_400_000

export interface SizeResult {
  rows: number
  bytesPerRow: number
  /** Bytes per row by part (table, each index, counts). */
  parts: Record<string, number>
}

export interface StatsResult {
  rows: number
  insertMs: number
  /** Range name → [median ms, max ms] of stats(). */
  stats: Record<string, [number, number]>
  /** The same counts by a plain GROUP BY over every record, ms: what the counts table saves. */
  groupByMs: number
  total: number
}

async function fill(archive: DeliveryArchive, options: DatasetOptions, parallel = 1): Promise<number> {
  const started = performance.now()
  const running = new Set<Promise<void>>()
  for (const batch of dataset(options)) {
    const write = archive.write(batch).then(() => void running.delete(write))
    running.add(write)
    if (running.size >= parallel) await Promise.race(running)
  }
  await Promise.all(running)
  return performance.now() - started
}

/** stats() over ranges with unaligned edges, as a person or the CLI asks them; median and max of `runs`. */
async function timeStats(archive: DeliveryArchive, end: number, runs = 7) {
  const ranges: Record<string, { since?: number; until?: number }> = {
    'everything (no range)': {},
    'last 30 days': { since: end - 30 * DAY + 12_345, until: end - 6789 },
    'last 7 days': { since: end - 7 * DAY + 54_321, until: end - 1 },
    'last 24 hours': { since: end - DAY + 9_876, until: end - 1234 },
    '90 minutes': { since: end - 3 * DAY + 777, until: end - 3 * DAY + 90 * 60_000 + 777 },
  }
  const out: Record<string, [number, number]> = {}
  let total = 0
  for (const [name, range] of Object.entries(ranges)) {
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const started = performance.now()
      const stats = await archive.stats(range)
      times.push(performance.now() - started)
      if (name === 'everything (no range)') total = stats.total
    }
    times.sort((a, b) => a - b)
    out[name] = [times[times.length >> 1]!, times.at(-1)!]
  }
  return { stats: out, total }
}

/** SQLite file size per row after a checkpoint, with a per-table/index split from dbstat when available. */
function sqliteSize(path: string, rows: number): SizeResult {
  const db = new Database(path)
  db.pragma('wal_checkpoint(TRUNCATE)')
  const parts: Record<string, number> = {}
  try {
    for (const { name, bytes } of db
      .prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name')
      .all() as Array<{ name: string; bytes: number }>)
      parts[name] = bytes / rows
  } catch {
    // dbstat is optional in SQLite builds.
  }
  db.close()
  return { rows, bytesPerRow: statSync(path).size / rows, parts }
}

export async function sqliteBytes(rows: number, bodyBytes: number): Promise<SizeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hookguard-archive-bench-'))
  try {
    const path = join(dir, 'size.db')
    const archive = sqliteArchive({ path })
    await fill(archive, { count: rows, start: Date.now() - DAY, spanMs: DAY, bodyBytes, batchSize: 500 })
    await archive.close()
    return sqliteSize(path, rows)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function sqliteStats(rows: number, bodyBytes: number): Promise<StatsResult & { size: SizeResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'hookguard-archive-bench-'))
  try {
    const path = join(dir, 'stats.db')
    const archive = sqliteArchive({ path })
    const end = Date.now()
    const insertMs = await fill(archive, {
      count: rows,
      start: end - 30 * DAY,
      spanMs: 30 * DAY,
      bodyBytes,
      batchSize: 2000,
    })
    const { stats, total } = await timeStats(archive, end)
    await archive.close()
    const db = new Database(path, { readonly: true })
    const started = performance.now()
    db.prepare(
      'SELECT outcome, code, provider, type, state, COUNT(*) FROM hookguard_archive GROUP BY 1, 2, 3, 4, 5',
    ).all()
    const groupByMs = performance.now() - started
    db.close()
    return { rows, insertMs, stats, groupByMs, total, size: sqliteSize(path, rows) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function pgSize(pool: pg.Pool, table: string, rows: number): Promise<SizeResult> {
  await pool.query(`VACUUM ANALYZE "${table}"`)
  await pool.query(`VACUUM ANALYZE "${table}_counts"`)
  const { rows: sizes } = await pool.query(
    `SELECT c.relname AS name, pg_total_relation_size(c.oid)::float8 AS total, pg_relation_size(c.oid)::float8 AS main
     FROM pg_class c WHERE c.relname = $1 OR c.relname = $2 OR c.relname LIKE $3`,
    [table, `${table}_counts`, `${table}\\_%`],
  )
  const parts: Record<string, number> = {}
  let total = 0
  for (const row of sizes as Array<{ name: string; total: number; main: number }>) {
    if (row.name === table || row.name === `${table}_counts`) total += row.total
    parts[row.name] = (row.name === table || row.name === `${table}_counts` ? row.total : row.main) / rows
  }
  return { rows, bytesPerRow: total / rows, parts }
}

async function withPgTable<T>(pool: pg.Pool, label: string, fn: (table: string) => Promise<T>): Promise<T> {
  const table = `hg_bench_${label}_${process.pid}`
  await migratePostgresArchive(pool, { table })
  try {
    return await fn(table)
  } finally {
    await pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_counts"`)
    await pool.query(`DROP FUNCTION IF EXISTS "${table}_count"()`)
  }
}

export function pgBytes(pool: pg.Pool, rows: number, bodyBytes: number): Promise<SizeResult> {
  return withPgTable(pool, 'size', async (table) => {
    const archive = postgresArchive({ pool, table })
    await fill(archive, { count: rows, start: Date.now() - DAY, spanMs: DAY, bodyBytes, batchSize: 500 })
    return pgSize(pool, table, rows)
  })
}

export function pgStats(pool: pg.Pool, rows: number, bodyBytes: number): Promise<StatsResult & { size: SizeResult }> {
  return withPgTable(pool, 'stats', async (table) => {
    const archive = postgresArchive({ pool, table })
    const end = Date.now()
    const insertMs = await fill(
      archive,
      { count: rows, start: end - 30 * DAY, spanMs: 30 * DAY, bodyBytes, batchSize: 2000 },
      3,
    )
    const size = await pgSize(pool, table, rows)
    const { stats, total } = await timeStats(archive, end)
    const started = performance.now()
    await pool.query(`SELECT outcome, code, provider, type, state, count(*) FROM "${table}" GROUP BY 1, 2, 3, 4, 5`)
    const groupByMs = performance.now() - started
    return { rows, insertMs, stats, groupByMs, total, size }
  })
}
