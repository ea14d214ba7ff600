/**
 * Delivery archive benchmark (`npm run bench:archive`):
 *
 *   bytes       bytes on disk per archived 1 KiB delivery: SQLite file size
 *               after a checkpoint / rows, and PostgreSQL
 *               pg_total_relation_size (records + counts) / rows
 *   stats       stats() time over 1,000,000 archived deliveries spread over
 *               30 days (inserted in bulk through archive.write()), for
 *               several ranges, against a plain GROUP BY over every row
 *   handle      what archiving adds to receiver.handle() (main-thread CPU
 *               per call, no HTTP), per archive
 *   throughput  what archiving costs the HTTP path: deliveries/s and
 *               main-thread CPU per request of a memory-path receiver
 *               behind node:http, without an archive and with
 *               createReceiver({ archive }), and the capacity that implies
 *
 * PostgreSQL rows run when DATABASE_URL is set (own tables, dropped after).
 * BENCH_ONLY=bytes,stats,handle,throughput picks sections; BENCH_ROWS sets
 * the stats size (default 1000000); BENCH_ROUNDS the rounds (default 3);
 * BENCH_RATE offers a fixed deliveries/s (default 0: closed loop, as fast as answered).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { memoryArchive } from '../src/archive/memory.js'
import { sqliteArchive } from '../src/archive/sqlite.js'
import { perThreadCpu } from './archive/cpu.js'
import { measureHandle } from './archive/handle.js'
import { measureThroughput, type ThroughputSetup } from './archive/throughput.js'
import { pgBytes, pgStats, sqliteBytes, sqliteStats, type SizeResult, type StatsResult } from './archive/volume.js'

const ONLY = new Set((process.env.BENCH_ONLY ?? 'bytes,stats,handle,throughput').split(',').map((s) => s.trim()))
const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const RATE = Number(process.env.BENCH_RATE ?? 0)
const DATABASE_URL = process.env.DATABASE_URL
const HARD_STOP_MS = 30 * 60_000

const hardStop = setTimeout(() => {
  console.error(`archive bench: hard stop after ${HARD_STOP_MS / 60_000} min`)
  process.exit(2)
}, HARD_STOP_MS)
hardStop.unref()

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? NaN

function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)))
  const line = (row: string[]): string => '| ' + row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ') + ' |'
  console.log(line(rows[0]!))
  console.log('| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |')
  for (const row of rows.slice(1)) console.log(line(row))
  console.log('')
}

function sizeLines(name: string, size: SizeResult): void {
  console.log(`${name}: ${fmt(size.bytesPerRow, 0)} bytes per delivery (${size.rows} rows)`)
  const parts = Object.entries(size.parts).sort((a, b) => b[1] - a[1])
  if (parts.length > 0)
    console.log(`  by part, bytes/row: ${parts.map(([part, bytes]) => `${part} ${fmt(bytes, 0)}`).join(', ')}`)
}

async function bytes(pool: pg.Pool | undefined): Promise<void> {
  console.log('## Bytes on disk per archived delivery with a 1 KiB body (20 000 deliveries)\n')
  sizeLines('sqlite', await sqliteBytes(20_000, 1024))
  if (pool) sizeLines('postgres', await pgBytes(pool, 20_000, 1024))
  else console.log('postgres: skipped (set DATABASE_URL)')
  console.log('')
}

function statsRows(name: string, result: StatsResult): string[][] {
  return Object.entries(result.stats).map(([range, [med, max]]) => [name, range, fmt(med, 2), fmt(max, 2)])
}

async function stats(pool: pg.Pool | undefined): Promise<void> {
  console.log(`## stats() over ${ROWS} archived deliveries (30 days, 128-byte bodies)\n`)
  const results: Array<[string, StatsResult & { size: SizeResult }]> = []
  process.stdout.write('  filling sqlite …\n')
  results.push(['sqlite', await sqliteStats(ROWS, 128)])
  if (pool) {
    process.stdout.write('  filling postgres …\n')
    results.push(['postgres', await pgStats(pool, ROWS, 128)])
  }
  table([['archive', 'range', 'stats() median ms', 'max ms'], ...results.flatMap(([name, r]) => statsRows(name, r))])
  for (const [name, r] of results) {
    console.log(
      `${name}: ${r.total} counted; bulk insert ${fmt(r.insertMs / 1000)} s (${fmt((r.insertMs * 1000) / r.rows)} µs/row); ` +
        `a plain GROUP BY over all rows takes ${fmt(r.groupByMs, 0)} ms; ${fmt(r.size.bytesPerRow, 0)} bytes/row on disk`,
    )
  }
  if (!pool) console.log('postgres: skipped (set DATABASE_URL)')
  console.log('')
}

function archiveSetups(): ThroughputSetup[] {
  const sqlite =
    (worker: boolean): ThroughputSetup['make'] =>
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hookguard-archive-bench-'))
      const archive = sqliteArchive({ path: join(dir, 'archive.db'), worker })
      return { archive, cleanup: async () => (await archive.close(), rmSync(dir, { recursive: true, force: true })) }
    }
  return [
    { name: 'no archive', make: async () => ({ cleanup: async () => {} }) },
    { name: 'memoryArchive', make: async () => ({ archive: memoryArchive(), cleanup: async () => {} }) },
    { name: 'sqliteArchive (worker thread, default)', make: sqlite(true) },
    { name: 'sqliteArchive (worker: false)', make: sqlite(false) },
  ]
}

const pct = (value: number, base: number): string => `${value >= base ? '+' : ''}${fmt((value / base - 1) * 100)} %`

async function handle(): Promise<void> {
  console.log(`## Archive cost inside receiver.handle(), no HTTP (32 in flight, ${ROUNDS} alternating rounds)\n`)
  const results = await measureHandle(archiveSetups(), ROUNDS)
  const base = Math.min(...results.get('no archive')!)
  table([
    ['setup', 'main-thread µs/call (min)', 'median', 'added µs (min)'],
    ...[...results].map(([name, values]) => [
      name,
      fmt(Math.min(...values)),
      fmt(median(values)),
      fmt(Math.min(...values) - base),
    ]),
  ])
}

async function throughput(): Promise<void> {
  const rate = RATE > 0 ? RATE : undefined
  console.log(
    `## Archiving on the HTTP path (node:http adapter, memory store + queue, ${rate ? `${rate} deliveries/s offered` : 'closed loop'}, ` +
      `${ROUNDS} alternating rounds, medians)\n`,
  )
  const rows = await measureThroughput(archiveSetups(), {
    rounds: ROUNDS,
    concurrency: 32,
    warmupMs: 1500,
    measureMs: 5000,
    ...(rate ? { rate } : {}),
  })
  const base = rows[0]!
  const best = (values: number[]): number => Math.min(...values)
  table([
    [
      'setup',
      'answered/s best',
      'median',
      'main µs/req best',
      'median',
      'capacity vs none',
      'process µs/req',
      'archived',
    ],
    ...rows.map((r) => [
      r.name,
      fmt(Math.max(...r.rps), 0),
      fmt(median(r.rps), 0),
      fmt(best(r.mainUs)),
      fmt(median(r.mainUs)),
      pct(best(base.mainUs), best(r.mainUs)),
      fmt(median(r.cpuUs), 0),
      `${r.archived}${r.other > 0 ? ` (${r.other} non-200)` : ''}`,
    ]),
  ])
  console.log(
    `main-thread CPU ${perThreadCpu ? 'from /proc (main thread alone)' : 'unavailable here: process CPU, worker threads included'}. ` +
      'A single-process server is capped by its main thread, so its capacity scales with 1 / (main-thread CPU per request): ' +
      '"capacity vs none" is that ratio, from the least disturbed round of each setup. On a busy machine CPU per request also ' +
      'rises when fewer requests arrive per event-loop turn, so compare rounds at similar rates.\n',
  )
}

console.log(
  `hookguard archive bench: node ${process.version}, ${cpus().length} CPUs, load average ${fmt(loadavg()[0]!)} at start\n`,
)
const pool = DATABASE_URL ? new pg.Pool({ connectionString: DATABASE_URL, max: 4 }) : undefined
try {
  if (ONLY.has('bytes')) await bytes(pool)
  if (ONLY.has('stats')) await stats(pool)
  if (ONLY.has('handle')) await handle()
  if (ONLY.has('throughput')) await throughput()
} finally {
  await pool?.end()
  clearTimeout(hardStop)
}
