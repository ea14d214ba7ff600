/**
 * `receiver.handle()` alone (no HTTP), against the least a hand-written
 * receiver does: node:crypto HMAC + timingSafeEqual + JSON.parse over the
 * same bytes (bench/lib/inline.ts). 4 KiB bodies, GitHub and Stripe
 * providers, memoryStore, a no-op queue, a new delivery id on every call
 * (pre-signed pools; Stripe's id is in the signed body).
 *
 * A sample is one pass over a pool; each hookguard sample gets a fresh
 * receiver (so every id is new to its store). Samples of the two cases
 * alternate; the ratio is taken per round, then the median. Target:
 * hookguard ≥ 0.8× the bare check. Heap bytes allocated per call are
 * measured with v8.GCProfiler (heap growth + what each GC freed).
 *
 *   npm run bench:handle
 *   BENCH_QUICK=1 npm run bench:handle
 */
import { getHeapStatistics, GCProfiler } from 'node:v8'
import type { Receiver, WebhookQueue } from '../src/index.js'
import { GITHUB_SECRET, signedPool, STRIPE_SECRET, type ProviderName } from './lib/deliveries.js'
import { load } from './lib/dist.js'
import { inlineGithub, inlineStripe } from './lib/inline.js'
import { applyNice, describeMachine, loadNow, machineHeader } from './lib/machine.js'
import { bytes, fixed, hardStop, median, rate, table, writeResults } from './lib/report.js'

const QUICK = process.env.BENCH_QUICK === '1'
const CONFIG = {
  rounds: Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 9)),
  warmupRounds: QUICK ? 1 : 2,
  poolSize: Number(process.env.BENCH_POOL ?? (QUICK ? 4000 : 10_000)),
  bodyBytes: 4096,
  /** Calls between two yields to the event loop (timers and I/O get their turn, as in a server). */
  yieldEvery: 256,
}
const TARGET = 0.8

interface Call {
  headers: Record<string, string>
  body: Uint8Array
}

/** Calls per second of wall time, and per second of this process's CPU time (robust to other processes' load). */
interface Rates {
  wall: number
  cpu: number
}

/** One pass over the pool. */
type Sample = (calls: Call[]) => Promise<Rates>

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function timed(calls: Call[], run: (call: Call) => unknown): Promise<Rates> {
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < calls.length; i++) {
    const result = run(calls[i]!)
    if (result instanceof Promise) await result
    if (i % CONFIG.yieldEvery === CONFIG.yieldEvery - 1) await yieldToLoop()
  }
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  return { wall: (calls.length * 1000) / wallMs, cpu: (calls.length * 1e6) / (cpu.user + cpu.system) }
}

const noopQueue: WebhookQueue = { enqueue: async () => {} }

async function receiverFactory(provider: ProviderName): Promise<() => Receiver> {
  const { createReceiver, github, memoryStore, stripe } = await load('index')
  const verifier = provider === 'github' ? github({ secret: GITHUB_SECRET }) : stripe({ secret: STRIPE_SECRET })
  return () => createReceiver({ provider: verifier, store: memoryStore(), queue: noopQueue, logger: false })
}

function request(call: Call) {
  return { method: 'POST', url: '/webhooks', headers: call.headers, body: call.body }
}

function hookguardSample(newReceiver: () => Receiver): Sample {
  return (calls) => {
    const receiver = newReceiver()
    return timed(calls, async (call) => {
      const result = await receiver.handle(request(call))
      if (result.status !== 200) throw new Error(`bench: handle() answered ${result.status}: ${result.body}`)
    })
  }
}

function bareSample(provider: ProviderName): Sample {
  const check =
    provider === 'github'
      ? (call: Call) => inlineGithub(GITHUB_SECRET, call.body, call.headers['x-hub-signature-256'])
      : (call: Call) => inlineStripe(STRIPE_SECRET, call.body, call.headers['stripe-signature'], Date.now())
  return (calls) =>
    timed(calls, (call) => {
      if (check(call) === undefined) throw new Error('bench: the bare check refused a valid delivery')
    })
}

/** JS heap bytes allocated per call: heap growth over one pass plus everything the GCs in between freed. */
async function allocatedPerCall(calls: Call[], run: Sample): Promise<number> {
  const profiler = new GCProfiler()
  profiler.start()
  const before = getHeapStatistics().used_heap_size
  await run(calls)
  const after = getHeapStatistics().used_heap_size
  const { statistics } = profiler.stop()
  const freed = statistics.reduce(
    (sum, gc) => sum + gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize,
    0,
  )
  return (after - before + freed) / calls.length
}

interface Row {
  provider: ProviderName
  /** Median calls per second of wall time. */
  hookguard: number
  bare: number
  /** Median over rounds of hookguard / bare calls per wall second. */
  ratio: number
  ratios: number[]
  /** CPU µs per call (median), and the median same-round ratio bare / hookguard CPU per call. */
  hookguardCpuUs: number
  bareCpuUs: number
  cpuRatio: number
  hookguardBytes: number
  bareBytes: number
}

async function measureProvider(provider: ProviderName): Promise<Row> {
  const pool = await signedPool(provider, CONFIG.poolSize, CONFIG.bodyBytes)
  const calls: Call[] = pool.map(({ headers, body }) => ({ headers, body: Buffer.from(body) }))
  const hookguard = hookguardSample(await receiverFactory(provider))
  const bare = bareSample(provider)
  for (let i = 0; i < CONFIG.warmupRounds; i++) {
    await hookguard(calls)
    await bare(calls)
  }
  const samples = { hookguard: [] as Rates[], bare: [] as Rates[] }
  for (let round = 0; round < CONFIG.rounds; round++) {
    // Alternate which case goes first, so neither always inherits the other's garbage.
    const order = round % 2 === 0 ? (['hookguard', 'bare'] as const) : (['bare', 'hookguard'] as const)
    for (const name of order) samples[name].push(await (name === 'hookguard' ? hookguard : bare)(calls))
  }
  const ratios = samples.hookguard.map((rates, round) => rates.wall / samples.bare[round]!.wall)
  const cpuRatios = samples.hookguard.map((rates, round) => rates.cpu / samples.bare[round]!.cpu)
  const medianOf = (name: 'hookguard' | 'bare', kind: keyof Rates): number => median(samples[name].map((r) => r[kind]))
  return {
    provider,
    hookguard: medianOf('hookguard', 'wall'),
    bare: medianOf('bare', 'wall'),
    ratio: median(ratios),
    ratios,
    hookguardCpuUs: 1e6 / medianOf('hookguard', 'cpu'),
    bareCpuUs: 1e6 / medianOf('bare', 'cpu'),
    cpuRatio: median(cpuRatios),
    hookguardBytes: await allocatedPerCall(calls, hookguard),
    bareBytes: await allocatedPerCall(calls, bare),
  }
}

const verdict = (ratio: number): string => (ratio >= TARGET ? 'yes' : 'NO')

function print(rows: Row[]): void {
  const header = [
    'provider',
    'handle() calls/s',
    'bare calls/s',
    'handle/bare',
    'per round',
    'handle CPU µs',
    'bare CPU µs',
  ]
  console.log(
    table(
      [...header, 'CPU ratio', `≥ ${TARGET} (wall, CPU)`, 'heap/call handle', 'heap/call bare'],
      rows.map((r) => [
        r.provider,
        rate(r.hookguard),
        rate(r.bare),
        fixed(r.ratio, 2),
        r.ratios.map((x) => fixed(x, 2)).join(' '),
        fixed(r.hookguardCpuUs, 1),
        fixed(r.bareCpuUs, 1),
        fixed(r.cpuRatio, 2),
        `${verdict(r.ratio)}, ${verdict(r.cpuRatio)}`,
        bytes(r.hookguardBytes),
        bytes(r.bareBytes),
      ]),
    ),
  )
  console.log(
    '\nhandle/bare: median of same-round ratios of calls per wall second; CPU ratio: the same with calls per CPU ' +
      'second of this process (bare CPU/call ÷ handle CPU/call), which other processes on the machine disturb less.',
  )
}

async function main(): Promise<void> {
  const stop = hardStop('bench:handle', 180_000)
  applyNice()
  const machine = describeMachine()
  console.log(machineHeader(machine))
  console.log(
    `bench:handle: receiver.handle() vs HMAC + timingSafeEqual + JSON.parse, ${CONFIG.bodyBytes} B bodies, ` +
      `${CONFIG.rounds} rounds of ${CONFIG.poolSize} calls per case (median), memoryStore + no-op queue, a new id per call\n`,
  )
  const rows: Row[] = []
  for (const provider of ['github', 'stripe'] as const) rows.push(await measureProvider(provider))
  print(rows)
  console.log(`\n${loadNow()}; results in ${writeResults('handle', machine, { config: CONFIG, target: TARGET, rows })}`)
  clearTimeout(stop)
}

await main()
