/**
 * End-to-end intake: acknowledged deliveries per second through HTTP in →
 * read body → verify (Stripe scheme) → reserve → durable enqueue → complete
 * → 2xx out, on loopback, for each store+queue pair:
 *
 *   memory  memoryStore + memoryQueue            (not durable; the baseline)
 *   sqlite  sqliteStore + sqliteQueue, one WAL file, defaults (queue: synchronous=FULL, group commit)
 *   redis   redisStore + bullmqQueue             (when REDIS_URL is set)
 *
 * Each runs in a fresh server process (node:http adapter, a no-op handler in
 * the same process, so the worker's cost counts), driven by autocannon with
 * 32 keep-alive connections and distinct, pre-signed events. The server times
 * its store and enqueue calls. Target: sqlite ≥ 5,000 acknowledged/s.
 *
 * In the same run, the floor the disk allows: plain better-sqlite3 loops in
 * the same folder, WAL + synchronous=FULL, one transaction per group commit of
 * N rows (N = 1, the queue's observed rows per commit, and the connection
 * count, the most 32 concurrent requests can batch), with and without the
 * dedupe writes. If the sqlite row sits near the floor, fsync is the limit.
 *
 *   npm run bench:e2e
 *   REDIS_URL=redis://127.0.0.1:6379/0 npm run bench:e2e
 *   BENCH_ONLY=sqlite BENCH_QUICK=1 npm run bench:e2e
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { signedPool, STRIPE_PATH } from './lib/deliveries.js'
import { fsyncFloor, type FloorResult } from './lib/fsync-floor.js'
import { rawRequest, RequestCursor, runLoad, type LoadResult } from './lib/load.js'
import { describeMachine, loadNow, machineHeader } from './lib/machine.js'
import { fixed, hardStop, rate, table, TMP, writeResults } from './lib/report.js'
import { startServer, type ServerUsage } from './lib/server.js'
import type { E2eServerOptions, E2eSetupName } from './lib/servers/e2e.js'

const QUICK = process.env.BENCH_QUICK === '1'
const CONFIG = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
  warmupMs: Number(process.env.BENCH_WARMUP_MS ?? (QUICK ? 700 : 1500)),
  measureMs: Number(process.env.BENCH_MEASURE_MS ?? (QUICK ? 2000 : 5000)),
  floorMs: QUICK ? 700 : 1500,
  bodyBytes: 300,
  redisUrl: process.env.REDIS_URL,
  only: process.env.BENCH_ONLY?.split(',').map((name) => name.trim()),
}
const TARGET = 5000

const NOTES: Record<E2eSetupName, string> = {
  memory: 'memoryStore + memoryQueue (not durable)',
  sqlite: 'sqliteStore + sqliteQueue in one WAL file, defaults (queue commits with synchronous=FULL)',
  redis: 'redisStore + bullmqQueue, worker in process',
}

interface Row {
  setup: E2eSetupName
  load: LoadResult
  server: ServerUsage
  accepted: number
  acceptedPerSecond: number
  cpuUsPerRequest: number
  storeMsPerRequest: number
  enqueueMs: number
  /** Time in store calls / enqueue as a share of the summed client-observed latency. */
  storeShare: number
  enqueueShare: number
  /** Queue rows per group commit, where the queue reports its commits. */
  rowsPerCommit?: number
  other: string
}

async function runSetup(setup: E2eSetupName, options: E2eServerOptions, pool: Buffer[]): Promise<Row> {
  const server = await startServer({ server: 'e2e', options })
  try {
    const cursor = new RequestCursor(pool)
    const base = { url: server.url, path: STRIPE_PATH, connections: CONFIG.connections, cursor }
    await runLoad({ ...base, durationMs: CONFIG.warmupMs })
    await server.mark()
    const load = await runLoad({ ...base, durationMs: CONFIG.measureMs })
    const usage = await server.report()
    return toRow(setup, load, usage)
  } finally {
    await server.stop()
  }
}

function toRow(setup: E2eSetupName, load: LoadResult, usage: ServerUsage): Row {
  const stats = usage.stats as Record<string, number | undefined>
  const accepted = load.statuses['200'] ?? 0
  const latencyMs = load.meanMs * load.requests
  const other = Object.entries(load.statuses).filter(([code]) => code !== '200')
  if (load.reused > 0) other.push(['resent ids', load.reused])
  return {
    setup,
    load,
    server: usage,
    accepted,
    acceptedPerSecond: accepted / (load.durationMs / 1000),
    cpuUsPerRequest: usage.cpuUs / Math.max(1, usage.served),
    storeMsPerRequest: (stats.storeMs ?? 0) / Math.max(1, load.requests),
    enqueueMs: (stats.enqueueMs ?? 0) / Math.max(1, stats.enqueues ?? 0),
    storeShare: (stats.storeMs ?? 0) / latencyMs,
    enqueueShare: (stats.enqueueMs ?? 0) / latencyMs,
    rowsPerCommit: stats.commits ? (stats.enqueued ?? 0) / stats.commits : undefined,
    other: other.map(([code, n]) => `${code}×${n}`).join(' ') || '-',
  }
}

function floors(dir: string, rowsPerCommit: number | undefined, payload: string, headers: string): FloorResult[] {
  const sizes = [...new Set([1, Math.max(1, Math.round(rowsPerCommit ?? 1)), CONFIG.connections])].sort((a, b) => a - b)
  const results: FloorResult[] = []
  for (const withDedupe of [false, true]) {
    for (const n of sizes) {
      const path = resolve(dir, `floor-${n}-${withDedupe ? 'dedupe' : 'queue'}.db`)
      results.push(fsyncFloor({ path, rowsPerCommit: n, durationMs: CONFIG.floorMs, withDedupe, payload, headers }))
    }
  }
  return results
}

function printRows(rows: Row[]): void {
  const pct = (share: number): string => `${fixed(share * 100)} %`
  console.log(
    table(
      [
        'setup',
        'accepted/s',
        'p50 ms',
        'p99 ms',
        'server µs/req',
        'store ms/req',
        'store share',
        'enqueue ms',
        'enqueue share',
        'rows/commit',
        'accepted',
        'other',
      ],
      rows.map((r) => [
        r.setup,
        rate(r.acceptedPerSecond),
        fixed(r.load.p50Ms, 0),
        fixed(r.load.p99Ms, 0),
        fixed(r.cpuUsPerRequest),
        fixed(r.storeMsPerRequest, 3),
        pct(r.storeShare),
        fixed(r.enqueueMs, 3),
        pct(r.enqueueShare),
        r.rowsPerCommit === undefined ? '–' : fixed(r.rowsPerCommit),
        String(r.accepted),
        r.other,
      ]),
    ),
  )
  for (const r of rows) console.log(`${r.setup}: ${NOTES[r.setup]}`)
  console.log('store/enqueue share: time inside store calls / enqueue over the summed client-observed latency.')
}

function printFloors(results: FloorResult[], sqlite: Row | undefined): void {
  console.log('\nThe disk floor: plain better-sqlite3, WAL, synchronous=FULL, one fsynced commit per N rows:\n')
  console.log(
    table(
      ['rows per commit', 'writes', 'rows/s', 'commits/s', 'ms per commit'],
      results.map((f) => [
        String(f.rowsPerCommit),
        f.withDedupe ? 'queue row + dedupe insert/update' : 'queue row',
        rate(f.rowsPerSecond),
        rate(f.commitsPerSecond),
        fixed(f.commitMs, 2),
      ]),
    ),
  )
  if (!sqlite) return
  const verdict = sqlite.acceptedPerSecond >= TARGET ? 'met' : 'NOT met'
  console.log(`\nsqlite: ${rate(sqlite.acceptedPerSecond)} acknowledged/s, target ≥ ${rate(TARGET)}: ${verdict}.`)
}

async function main(): Promise<void> {
  const stop = hardStop('bench:e2e', 150_000)
  const machine = describeMachine()
  console.log(machineHeader(machine))
  console.log(
    `bench:e2e: ${CONFIG.connections} connections, fresh server process per setup, ${CONFIG.warmupMs} ms warm-up + ` +
      `${CONFIG.measureMs} ms measured, distinct Stripe-signed ~${CONFIG.bodyBytes} B events`,
  )
  let setups: E2eSetupName[] = ['memory', 'sqlite', ...(CONFIG.redisUrl ? (['redis'] as const) : [])]
  if (!CONFIG.redisUrl) console.log('redis: skipped (set REDIS_URL=redis://127.0.0.1:6379/0 to run it)')
  if (CONFIG.only) setups = setups.filter((setup) => CONFIG.only!.includes(setup))
  mkdirSync(TMP, { recursive: true })
  const dir = mkdtempSync(resolve(TMP, 'bench-e2e-'))
  try {
    const deliveries = await signedPool(
      'stripe',
      Math.ceil((30_000 * (CONFIG.warmupMs + CONFIG.measureMs)) / 1000),
      CONFIG.bodyBytes,
    )
    const pool = deliveries.map((delivery) => rawRequest(STRIPE_PATH, delivery))
    const rows: Row[] = []
    for (const setup of setups) {
      process.stderr.write(`running ${setup} …\n`)
      const prefix = `hookguard-bench-${process.pid}-${Date.now()}`
      const options = {
        setup,
        path: resolve(dir, 'intake.db'),
        redisUrl: CONFIG.redisUrl,
        prefix,
        maxKeys: pool.length * 2,
      }
      rows.push(await runSetup(setup, options, pool))
      if (setup === 'redis') await deleteKeys(CONFIG.redisUrl!, prefix)
    }
    console.log('')
    printRows(rows)
    const sqlite = rows.find((row) => row.setup === 'sqlite')
    const sample = deliveries[0]!
    const floor = floors(dir, sqlite?.rowsPerCommit, sample.body, JSON.stringify(sample.headers))
    printFloors(floor, sqlite)
    console.log(
      `\n${loadNow()}; results in ${writeResults('e2e', machine, { config: { ...CONFIG, redisUrl: undefined }, target: TARGET, rows, floor })}`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
    clearTimeout(stop)
  }
}

/** Removes the redis setup's keys (store and BullMQ) after its run. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const client = new Redis(url)
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) await client.del(...keys)
  } while (cursor !== '0')
  client.disconnect()
}

await main()
