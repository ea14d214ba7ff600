/**
 * End-to-end intake: acknowledged deliveries per second through HTTP in →
 * read body → verify (Stripe scheme) → reserve → durable enqueue → complete
 * → 2xx out, on loopback, for each store+queue pair:
 *
 *   memory         memoryStore + memoryQueue (not durable; the baseline)
 *   sqlite         sqliteStore + sqliteQueue, one WAL file, defaults (queue: synchronous=FULL, group commit):
 *                  the receiver takes the queue's atomic intake (reserve + enqueue + complete in one write)
 *   sqlite-3step   the same pair through reserve → enqueue → complete (what a custom queue or store gets)
 *   sqlite-intake  sqlite without the worker in the process: the intake alone
 *   redis          redisStore + bullmqQueue (when REDIS_URL is set)
 *   postgres       postgresStore + postgresQueue on one Pool, atomic intake (when DATABASE_URL is set)
 *
 * Each runs in a fresh server process (node:http adapter, a no-op handler in
 * the same process except for sqlite-intake, so the worker's cost counts), driven by autocannon with
 * 32 keep-alive connections and distinct, pre-signed events. The server times
 * its store and enqueue calls. Target: sqlite ≥ 5,000 acknowledged/s.
 *
 * In the same run, the floor the disk allows: plain better-sqlite3 loops in
 * the same folder, WAL + synchronous=FULL, one transaction per group commit of
 * N rows (N = 1, the sqlite run's enqueues per event-loop turn — its rows
 * per group commit — and the connection count, the most 32 concurrent
 * requests can batch), with and without the dedupe writes. If the sqlite row
 * sits near the floor for its N, fsync is the limit; a small N means the
 * batching is.
 *
 *   npm run bench:e2e
 *   REDIS_URL=redis://127.0.0.1:6379/0 npm run bench:e2e
 *   BENCH_ONLY=sqlite,sqlite-intake BENCH_QUICK=1 npm run bench:e2e
 *   BENCH_PROFILE=1 BENCH_ONLY=sqlite npm run bench:e2e   # + node --cpu-prof of each server, summarised
 */
import { mkdtempSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { printSummary, readProfile, summariseProfile } from './lib/cpuprofile.js'
import { signedPool, STRIPE_PATH } from './lib/deliveries.js'
import { DIST } from './lib/dist.js'
import { fsyncFloor, type FloorResult } from './lib/fsync-floor.js'
import { rawRequest, RequestCursor, runLoad, type LoadResult } from './lib/load.js'
import { applyNice, describeMachine, loadNow, machineHeader } from './lib/machine.js'
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
  databaseUrl: process.env.DATABASE_URL,
  only: process.env.BENCH_ONLY?.split(',').map((name) => name.trim()),
  /** Profile each server (node --cpu-prof, 250 µs) and print its top functions for the measured window. */
  profile: process.env.BENCH_PROFILE === '1',
}
const PROFILES = resolve(TMP, 'profiles')
const TARGET = 5000

interface RunSpec {
  name: string
  setup: E2eSetupName
  /** Run the no-op handler in the server process (the queue's worker then shares its event loop and disk). */
  worker: boolean
  /** Let the receiver use the queue's atomic intake for this store (default true). */
  atomicIntake?: boolean
  note: string
}

const RUNS: RunSpec[] = [
  { name: 'memory', setup: 'memory', worker: true, note: 'memoryStore + memoryQueue (not durable)' },
  {
    name: 'sqlite',
    setup: 'sqlite',
    worker: true,
    note:
      'sqliteStore + sqliteQueue in one WAL file, defaults (the queue commits with synchronous=FULL), worker in ' +
      'process; the receiver takes the atomic intake (reserve + enqueue + complete in one group-committed write)',
  },
  {
    name: 'sqlite-3step',
    setup: 'sqlite',
    worker: true,
    atomicIntake: false,
    note: 'the same pair through reserve → enqueue → complete, three writes (atomic intake not taken)',
  },
  {
    name: 'sqlite-intake',
    setup: 'sqlite',
    worker: false,
    note: 'the same without a worker in the process (workers elsewhere): what the intake alone sustains',
  },
  { name: 'redis', setup: 'redis', worker: true, note: 'redisStore + bullmqQueue, worker in process' },
  {
    name: 'postgres',
    setup: 'postgres',
    worker: true,
    note: 'postgresStore + postgresQueue (pg-boss) on one Pool: reserve, enqueue, complete in one transaction; worker in process',
  },
]

interface Row {
  name: string
  load: LoadResult
  server: ServerUsage
  accepted: number
  acceptedPerSecond: number
  cpuUsPerRequest: number
  /** Event-loop time per request (JavaScript and synchronous calls, a blocking fsync included), µs. */
  loopUsPerRequest: number
  /** Events the in-process handler ran per second in the window: whether the worker keeps up. */
  handledPerSecond: number
  storeMsPerRequest: number
  enqueueMs: number
  /** Time in store calls / enqueue as a share of the summed client-observed latency. */
  storeShare: number
  enqueueShare: number
  /** Enqueues resolved per event-loop turn: rows per group commit for a queue that commits once per turn. */
  rowsPerCommit: number
  other: string
}

async function runSetup(name: string, options: E2eServerOptions, pool: Buffer[]): Promise<Row> {
  const profileDir = resolve(PROFILES, `e2e-${name}.tmp`)
  const execArgv = CONFIG.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=250'] : []
  const server = await startServer({ server: 'e2e', options }, { execArgv })
  let usage: ServerUsage
  let row: Row
  try {
    const cursor = new RequestCursor(pool)
    const base = { url: server.url, path: STRIPE_PATH, connections: CONFIG.connections, cursor }
    await runLoad({ ...base, durationMs: CONFIG.warmupMs })
    await server.mark()
    const load = await runLoad({ ...base, durationMs: CONFIG.measureMs })
    usage = await server.report()
    row = toRow(name, load, usage)
  } finally {
    await server.stop()
  }
  if (CONFIG.profile) printProfile(name, profileDir, server.pid, usage)
  return row
}

/** Summarises the server's main-thread profile over the measured window; kept as .tmp/profiles/e2e-<name>.cpuprofile. */
function printProfile(name: string, dir: string, pid: number, usage: ServerUsage): void {
  const main = readdirSync(dir).find((file) => file.includes(`.${pid}.0.`) && file.endsWith('.cpuprofile'))
  if (!main) throw new Error(`bench: no main-thread profile of pid ${pid} in ${dir}`)
  const file = resolve(PROFILES, `e2e-${name}.cpuprofile`)
  renameSync(resolve(dir, main), file)
  rmSync(dir, { recursive: true, force: true })
  // For bench/cpuprofile-top.ts: which build ran, and which part of the profile is the measured load.
  const meta = { distDir: DIST, window: usage.window, requests: usage.served }
  writeFileSync(file.replace(/\.cpuprofile$/, '.meta.json'), JSON.stringify(meta))
  const summary = summariseProfile(readProfile(file), { distDir: DIST, window: usage.window })
  printSummary(`e2e ${name} (${file})`, summary, usage.served)
}

function toRow(name: string, load: LoadResult, usage: ServerUsage): Row {
  const stats = usage.stats as Record<string, number | undefined>
  const accepted = load.statuses['200'] ?? 0
  const latencyMs = load.meanMs * load.requests
  const other = Object.entries(load.statuses).filter(([code]) => code !== '200')
  if (load.reused > 0) other.push(['resent ids', load.reused])
  return {
    name,
    load,
    server: usage,
    accepted,
    acceptedPerSecond: accepted / (load.durationMs / 1000),
    cpuUsPerRequest: usage.cpuUs / Math.max(1, usage.served),
    loopUsPerRequest: ((stats.loopBusyMs ?? 0) * 1000) / Math.max(1, usage.served),
    handledPerSecond: (stats.handled ?? 0) / (usage.elapsedMs / 1000),
    storeMsPerRequest: (stats.storeMs ?? 0) / Math.max(1, load.requests),
    enqueueMs: (stats.enqueueMs ?? 0) / Math.max(1, stats.enqueues ?? 0),
    storeShare: (stats.storeMs ?? 0) / latencyMs,
    enqueueShare: (stats.enqueueMs ?? 0) / latencyMs,
    rowsPerCommit: (stats.enqueues ?? 0) / Math.max(1, stats.enqueueTurns ?? 0),
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
        'loop µs/req',
        'handled/s',
        'store ms/req',
        'store share',
        'enqueue ms',
        'enqueue share',
        'enqueues/turn',
        'accepted',
        'other',
      ],
      rows.map((r) => [
        r.name,
        rate(r.acceptedPerSecond),
        fixed(r.load.p50Ms, 0),
        fixed(r.load.p99Ms, 0),
        fixed(r.cpuUsPerRequest),
        fixed(r.loopUsPerRequest),
        rate(r.handledPerSecond),
        fixed(r.storeMsPerRequest, 3),
        pct(r.storeShare),
        fixed(r.enqueueMs, 3),
        pct(r.enqueueShare),
        fixed(r.rowsPerCommit),
        String(r.accepted),
        r.other,
      ]),
    ),
  )
  for (const r of rows) console.log(`${r.name}: ${RUNS.find((run) => run.name === r.name)!.note}`)
  console.log('store/enqueue share: time inside store calls / enqueue over the summed client-observed latency.')
  console.log(
    'loop µs/req: event-loop busy time per request (JavaScript and synchronous calls: a blocking fsync counts here, ' +
      'not in server CPU); handled/s: events the in-process worker ran.',
  )
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
  const floorAt = (n: number): FloorResult | undefined => results.find((f) => f.withDedupe && f.rowsPerCommit === n)
  const own = floorAt(Math.max(1, Math.round(sqlite.rowsPerCommit)))
  const widest = floorAt(CONFIG.connections)
  const share = (floor: FloorResult | undefined): string =>
    floor
      ? `${fixed((sqlite.acceptedPerSecond / floor.rowsPerSecond) * 100, 0)} % of the ${floor.rowsPerCommit}-row floor`
      : '–'
  console.log(
    `\nsqlite: ${rate(sqlite.acceptedPerSecond)} acknowledged/s (target ≥ ${rate(TARGET)}: ${verdict}), ` +
      `${fixed(sqlite.rowsPerCommit)} rows per commit: ${share(own)}, ${share(widest)} (with dedupe writes).`,
  )
}

async function main(): Promise<void> {
  const stop = hardStop('bench:e2e', 150_000)
  applyNice()
  const machine = describeMachine()
  console.log(machineHeader(machine))
  console.log(
    `bench:e2e: ${CONFIG.connections} connections, fresh server process per setup, ${CONFIG.warmupMs} ms warm-up + ` +
      `${CONFIG.measureMs} ms measured, distinct Stripe-signed ~${CONFIG.bodyBytes} B events`,
  )
  const runs = RUNS.filter(
    (run) =>
      (run.setup !== 'redis' || CONFIG.redisUrl) &&
      (run.setup !== 'postgres' || CONFIG.databaseUrl) &&
      (!CONFIG.only || CONFIG.only.includes(run.name)),
  )
  if (!CONFIG.redisUrl) console.log('redis: skipped (set REDIS_URL=redis://127.0.0.1:6379/0 to run it)')
  if (!CONFIG.databaseUrl) console.log('postgres: skipped (set DATABASE_URL=postgres://… to run it)')
  mkdirSync(CONFIG.profile ? PROFILES : TMP, { recursive: true })
  const dir = mkdtempSync(resolve(TMP, 'bench-e2e-'))
  try {
    const size = Math.ceil((30_000 * (CONFIG.warmupMs + CONFIG.measureMs)) / 1000)
    const deliveries = await signedPool('stripe', size, CONFIG.bodyBytes)
    const pool = deliveries.map((delivery) => rawRequest(STRIPE_PATH, delivery))
    const rows: Row[] = []
    for (const run of runs) {
      process.stderr.write(`running ${run.name} …\n`)
      const prefix = `hookguard-bench-${process.pid}-${Date.now()}`
      const options: E2eServerOptions = {
        setup: run.setup,
        worker: run.worker,
        atomicIntake: run.atomicIntake,
        path: resolve(dir, `${run.name}.db`),
        redisUrl: CONFIG.redisUrl,
        prefix,
        maxKeys: pool.length * 2,
        databaseUrl: CONFIG.databaseUrl,
        pgSchema: `hookguard_bench_${process.pid}`,
      }
      try {
        rows.push(await runSetup(run.name, options, pool))
      } finally {
        if (run.setup === 'postgres') await dropSchema(CONFIG.databaseUrl!, options.pgSchema!)
      }
      if (run.setup === 'redis') await deleteKeys(CONFIG.redisUrl!, prefix)
    }
    console.log('')
    printRows(rows)
    const sqlite = rows.find((row) => row.name === 'sqlite')
    const sample = deliveries[0]!
    const floor = floors(dir, sqlite?.rowsPerCommit, sample.body, JSON.stringify(sample.headers))
    printFloors(floor, sqlite)
    console.log(
      `\n${loadNow()}; results in ${writeResults('e2e', machine, { config: { ...CONFIG, redisUrl: undefined, databaseUrl: undefined }, target: TARGET, rows, floor })}`,
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

/** Removes the postgres setup's schema (its dedupe table and pg-boss's tables) after its run. */
async function dropSchema(url: string, schema: string): Promise<void> {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}

await main()
