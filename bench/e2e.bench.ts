/**
 * End-to-end intake benchmark: accepted deliveries per second through
 * HTTP in → read body → verify (Stripe scheme) → reserve → durable enqueue →
 * complete → 2xx out, on loopback, for each store+queue pair:
 *
 *   memory  memoryStore + memoryQueue            (not durable; the baseline)
 *   sqlite  sqliteStore + sqliteQueue, one file  (when src/sqlite.ts is present)
 *   redis   redisStore + bullmqQueue             (when REDIS_URL is set)
 *
 * A child process drives `CONCURRENCY` keep-alive connections with distinct,
 * correctly signed events (bench/e2e/client.ts); the server runs the node:http adapter and a no-op
 * handler in the same process (so the worker's cost is included, as in a
 * single-process deployment). Store and enqueue calls are timed on the
 * server. Run: `npm run bench:e2e` (REDIS_URL=redis://127.0.0.1:6379/0 for
 * the Redis row). Stops by itself in well under a minute.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fork } from 'node:child_process'
import { hookguard } from '../adapters/node.js'
import { createReceiver, memoryQueue, memoryStore, stripe } from '../src/index.js'
import type { DedupeStore, WebhookQueue } from '../src/types/index.js'
import type { ClientInput, ClientOutput } from './e2e/client.js'

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32)
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1500)
const MEASURE_MS = Number(process.env.BENCH_MEASURE_MS ?? 6000)
/** Upper bound of deliveries per run, so memory stays bounded. */
const MAX_REQUESTS = Number(process.env.BENCH_MAX_REQUESTS ?? 200_000)
const HARD_STOP_MS = 58_000
const REDIS_URL = process.env.REDIS_URL

const hardStop = setTimeout(() => {
  console.error(`e2e bench: hard stop after ${HARD_STOP_MS / 1000} s`)
  process.exit(2)
}, HARD_STOP_MS)
hardStop.unref()

const SECRET = 'whsec_bench_e2e_0123456789abcdef'
const provider = stripe({ secret: SECRET })
const now = (): number => performance.timeOrigin + performance.now()

interface Timing {
  storeMs: number
  storeCalls: number
  enqueueMs: number
  enqueues: number
  from: number
}

/** Wraps a store so reserve/complete/release time is summed (inside the measured window only). */
function timedStore(store: DedupeStore, timing: Timing): DedupeStore {
  const time = async <T>(call: () => Promise<T>): Promise<T> => {
    const started = now()
    try {
      return await call()
    } finally {
      if (started >= timing.from) {
        timing.storeMs += now() - started
        timing.storeCalls++
      }
    }
  }
  return {
    reserve: (key, leaseMs) => time(() => store.reserve(key, leaseMs)),
    complete: (key, token, retentionMs) => time(() => store.complete(key, token, retentionMs)),
    release: (key, token) => time(() => store.release(key, token)),
    close: () => store.close?.() ?? Promise.resolve(),
  }
}

function timedQueue(queue: WebhookQueue, timing: Timing): WebhookQueue {
  return {
    async enqueue(event) {
      const started = now()
      try {
        await queue.enqueue(event)
      } finally {
        if (started >= timing.from) {
          timing.enqueueMs += now() - started
          timing.enqueues++
        }
      }
    },
    process: (handler) => queue.process?.(handler),
    close: () => queue.close?.() ?? Promise.resolve(),
  }
}

interface Setup {
  name: string
  note: string
  make(): Promise<{ store: DedupeStore; queue: WebhookQueue; cleanup(): Promise<void> }>
}

interface Row {
  name: string
  note: string
  rps: number
  p50: number
  p99: number
  storeMsPerReq: number
  storeShare: number
  enqueueMsPerReq: number
  enqueueShare: number
  accepted: number
  other: string
  exhausted: boolean
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

async function runSetup(setup: Setup): Promise<Row> {
  const { store, queue, cleanup } = await setup.make()
  const timing: Timing = { storeMs: 0, storeCalls: 0, enqueueMs: 0, enqueues: 0, from: Infinity }
  const receiver = createReceiver({
    provider,
    store: timedStore(store, timing),
    queue: timedQueue(queue, timing),
    handler: () => {},
    logger: false,
  })
  const server = createServer(hookguard(receiver))
  server.keepAliveTimeout = 10_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`
  const client = fork(new URL('./e2e/client.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await once(client, 'message') // 'ready'
  const measureFrom = now() + WARMUP_MS
  timing.from = measureFrom
  const input: ClientInput = {
    url,
    concurrency: CONCURRENCY,
    measureFrom,
    end: measureFrom + MEASURE_MS,
    secret: SECRET,
    tag: `${setup.name}_${Date.now()}`,
    maxRequests: MAX_REQUESTS,
  }
  client.send(input)
  const [output] = (await once(client, 'message')) as [ClientOutput]
  if (client.exitCode === null) await once(client, 'exit')

  await new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await receiver.close()
  await cleanup()

  const sorted = Float64Array.from(output.latencies).sort()
  const latencySum = output.latencies.reduce((a, b) => a + b, 0)
  const accepted = output.statuses[200] ?? 0
  const other = Object.entries(output.statuses)
    .filter(([status]) => status !== '200')
    .map(([status, n]) => `${status}×${n}`)
    .join(' ')
  return {
    name: setup.name,
    note: setup.note,
    rps: accepted / (output.measuredMs / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    storeMsPerReq: timing.storeMs / Math.max(1, output.latencies.length),
    storeShare: timing.storeMs / latencySum,
    enqueueMsPerReq: timing.enqueueMs / Math.max(1, timing.enqueues),
    enqueueShare: timing.enqueueMs / latencySum,
    accepted,
    other: other || '-',
    exhausted: output.exhausted,
  }
}

const setups: Setup[] = [
  {
    name: 'memory',
    note: 'memoryStore + memoryQueue (not durable)',
    async make() {
      return {
        store: memoryStore({ maxKeys: MAX_REQUESTS * 2 }),
        queue: memoryQueue({ rememberKeys: MAX_REQUESTS * 2 }),
        cleanup: async () => {},
      }
    },
  },
]

const sqlitePath = new URL('../src/sqlite.ts', import.meta.url)
if (existsSync(sqlitePath)) {
  setups.push({
    name: 'sqlite',
    note: 'sqliteStore + sqliteQueue in one WAL file, defaults (the queue fsyncs each commit batch: synchronous full)',
    async make() {
      const { sqliteQueue, sqliteStore } = (await import(sqlitePath.href)) as typeof import('../src/sqlite.js')
      const dir = mkdtempSync(join(tmpdir(), 'hookguard-bench-'))
      const path = join(dir, 'bench.db')
      const store = sqliteStore({ path })
      const queue = sqliteQueue({ path })
      return { store, queue, cleanup: async () => rmSync(dir, { recursive: true, force: true }) }
    },
  })
} else {
  console.log('sqlite: skipped (src/sqlite.ts not present)')
}

let redisNote = ''
if (REDIS_URL) {
  setups.push({
    name: 'redis+bullmq',
    note: 'redisStore + bullmqQueue, worker in process',
    async make() {
      const { Redis } = await import('ioredis')
      const { redisStore } = await import('../src/redis.js')
      const { bullmqQueue } = await import('../src/bullmq.js')
      const prefix = `hookguard-bench-${process.pid}-${Date.now()}`
      const client = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
      await once(client, 'ready')
      const info = await client.info('persistence')
      redisNote = /^aof_enabled:1/m.test(info) ? 'AOF on' : 'AOF off (appendonly no): acknowledged = in memory'
      const queue = bullmqQueue({ connection: { url: REDIS_URL }, prefix, concurrency: 8, logger: false })
      return {
        store: redisStore({ client, prefix: `${prefix}:dedupe:` }),
        queue,
        async cleanup() {
          let cursor = '0'
          do {
            const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
            cursor = next
            if (keys.length > 0) await client.del(...keys)
          } while (cursor !== '0')
          client.disconnect()
        },
      }
    },
  })
} else {
  console.log('redis+bullmq: skipped (set REDIS_URL=redis://127.0.0.1:6379/0 to run it)')
}

/** BENCH_ONLY=memory,sqlite runs a subset. */
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim())
if (only) setups.splice(0, setups.length, ...setups.filter((setup) => only.includes(setup.name)))

console.log(
  `hookguard e2e intake bench: node ${process.version}, ${cpus().length} CPUs (load average ${loadavg()[0]!.toFixed(1)} at start), ${CONCURRENCY} keep-alive connections, ` +
    `${WARMUP_MS} ms warm-up + ${MEASURE_MS} ms measured per setup, distinct Stripe-signed ~150-byte events\n`,
)
const rows: Row[] = []
for (const setup of setups) {
  process.stdout.write(`running ${setup.name} …\n`)
  rows.push(await runSetup(setup))
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '-')
const table = [
  [
    'setup',
    'accepted/s',
    'p50 ms',
    'p99 ms',
    'store ms/req',
    'store share',
    'enqueue ms',
    'enqueue share',
    'accepted',
    'other statuses',
  ],
  ...rows.map((r) => [
    r.name + (r.exhausted ? ' (ran out of events)' : ''),
    fmt(r.rps, 0),
    fmt(r.p50, 2),
    fmt(r.p99, 2),
    fmt(r.storeMsPerReq, 3),
    `${fmt(r.storeShare * 100)} %`,
    fmt(r.enqueueMsPerReq, 3),
    `${fmt(r.enqueueShare * 100)} %`,
    String(r.accepted),
    r.other,
  ]),
]
const widths = table[0]!.map((_, col) => Math.max(...table.map((row) => row[col]!.length)))
const line = (row: string[]): string => '| ' + row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ') + ' |'
console.log('\n' + line(table[0]!))
console.log('| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |')
for (const row of table.slice(1)) console.log(line(row))
console.log('')
for (const r of rows)
  console.log(`${r.name}: ${r.note}${r.name === 'redis+bullmq' && redisNote ? `; ${redisNote}` : ''}`)
console.log(
  'store share / enqueue share = time inside store calls / enqueue, as a share of the summed client-observed latency.',
)
clearTimeout(hardStop)
