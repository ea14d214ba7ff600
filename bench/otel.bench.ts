/**
 * What `hookguard/otel` (and `hookguard/prometheus`) cost per delivery:
 * `receiver.handle()` throughput with the instrument wired, as a same-run
 * ratio to the same receiver without it. 4 KiB Stripe deliveries,
 * memoryStore, a no-op queue, a new id per call (the built package).
 *
 * Phase 1, no context manager (an app without an OpenTelemetry SDK):
 *   not wired · otelTracing() with no SDK · otelMetrics() with no SDK · prometheusMetrics()
 *   Target: otelTracing() with no SDK ≥ 0.97× not wired ("costs nothing"), in wall and CPU ratio.
 *   On a loaded machine the throughput ratios swing; the direct cost (ns per
 *   delivery of the whole trace the pipeline drives, as a share of one
 *   handle() call) is the steady figure: with no SDK it must stay under 1 %.
 * Phase 2, with an SDK (BasicTracerProvider, BatchSpanProcessor to a
 * discarding exporter, AsyncLocalStorage context manager, W3C propagator):
 *   not wired · otelTracing() — the price of five spans and a carrier per delivery.
 *   (Phase 2 runs second: the AsyncLocalStorage manager cannot be fully undone.)
 *
 * A sample is one pass over the pool with a fresh receiver; the cases of a
 * round alternate their order; the ratio is taken per round, then the median.
 *
 *   npm run bench:otel
 *   BENCH_QUICK=1 npm run bench:otel
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator, ExportResultCode } from '@opentelemetry/core'
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { Registry } from 'prom-client'
import type { ReceiverOptions, WebhookQueue } from '../src/index.js'
import type { WebhookTracing } from '../src/otel.js'
import { signedPool, STRIPE_SECRET } from './lib/deliveries.js'
import { DIST, load } from './lib/dist.js'
import { describeMachine, loadNow, machineHeader } from './lib/machine.js'
import { fixed, hardStop, median, rate, table, writeResults } from './lib/report.js'

const QUICK = process.env.BENCH_QUICK === '1'
const CONFIG = {
  rounds: Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 9)),
  warmupRounds: QUICK ? 1 : 2,
  poolSize: Number(process.env.BENCH_POOL ?? (QUICK ? 3000 : 10_000)),
  bodyBytes: 4096,
  yieldEvery: 256,
}
const TARGET_NO_SDK = 0.97

type Otel = typeof import('../src/otel.js')
type Prometheus = typeof import('../src/prometheus.js')
const entry = async <T>(name: string): Promise<T> =>
  (await import(pathToFileURL(resolve(DIST, `${name}.js`)).href)) as T

interface Call {
  headers: Record<string, string>
  body: Uint8Array
}
interface Rates {
  wall: number
  cpu: number
}
type Extra = Pick<ReceiverOptions, 'tracing' | 'metrics'>
interface Case {
  name: string
  /** Made per sample, as the receiver is. */
  extra: () => Extra
}

const noopQueue: WebhookQueue = { enqueue: async () => {} }
const yieldToLoop = (): Promise<void> => new Promise((done) => setImmediate(done))

async function sample(calls: Call[], extra: Extra): Promise<Rates> {
  const { createReceiver, memoryStore, stripe } = await load('index')
  const receiver = createReceiver({
    provider: stripe({ secret: STRIPE_SECRET }),
    store: memoryStore(),
    queue: noopQueue,
    logger: false,
    ...extra,
  })
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i]!
    const result = await receiver.handle({ method: 'POST', url: '/webhooks', headers: call.headers, body: call.body })
    if (result.status !== 200) throw new Error(`bench: handle() answered ${result.status}: ${result.body}`)
    if (i % CONFIG.yieldEvery === CONFIG.yieldEvery - 1) await yieldToLoop()
  }
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  return { wall: (calls.length * 1000) / wallMs, cpu: (calls.length * 1e6) / (cpu.user + cpu.system) }
}

interface Row {
  phase: string
  name: string
  /** Median calls per wall second. */
  wall: number
  /** Median same-round ratio to the phase's first case (not wired), wall and CPU. */
  ratio: number
  cpuRatio: number
  ratios: number[]
}

/** Rounds over `cases`; the first case is the baseline. */
async function phase(label: string, calls: Call[], cases: Case[]): Promise<Row[]> {
  for (let i = 0; i < CONFIG.warmupRounds; i++) for (const c of cases) await sample(calls, c.extra())
  const samples = cases.map(() => [] as Rates[])
  for (let round = 0; round < CONFIG.rounds; round++) {
    const order = cases.map((_, i) => i)
    if (round % 2 === 1) order.reverse()
    for (const i of order) samples[i]!.push(await sample(calls, cases[i]!.extra()))
  }
  return cases.map((c, i) => {
    const ratios = samples[i]!.map((r, round) => r.wall / samples[0]![round]!.wall)
    return {
      phase: label,
      name: c.name,
      wall: median(samples[i]!.map((r) => r.wall)),
      ratio: median(ratios),
      cpuRatio: median(samples[i]!.map((r, round) => r.cpu / samples[0]![round]!.cpu)),
      ratios,
    }
  })
}

/** Median ns per call of `fn` over 7 timed loops of `n` calls. */
function nsPerCall(fn: () => void, n: number): number {
  for (let i = 0; i < n; i++) fn()
  const runs: number[] = []
  for (let run = 0; run < 7; run++) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn()
    runs.push(Number(process.hrtime.bigint() - started) / n)
  }
  return median(runs)
}

/** One delivery's whole trace as the pipeline drives it: start, four steps, the carrier, the end. */
function fullTrace(tracing: WebhookTracing): () => void {
  const request = { method: 'POST', url: '/webhooks', provider: 'stripe', receiver: 'default' }
  const outcome = { kind: 'accepted', provider: 'stripe', receiver: 'default', id: 'evt_1', key: 'k' } as const
  const summary = { outcome, status: 200, bodySize: 4096, eventId: 'evt_1', type: 'invoice.paid' }
  return () => {
    const trace = tracing.startReceive(request)
    if (!trace) return
    for (const step of ['verify', 'reserve', 'enqueue', 'complete'] as const) {
      trace.enter(step)
      trace.leave(step)
    }
    trace.carrier?.()
    trace.end(summary)
  }
}

const discard: SpanExporter = {
  export: (_spans, done) => done({ code: ExportResultCode.SUCCESS }),
  shutdown: async () => {},
}

async function main(): Promise<void> {
  const stop = hardStop('bench:otel', 300_000)
  const machine = describeMachine()
  console.log(machineHeader(machine))
  console.log(
    `bench:otel: receiver.handle() with each instrument vs without, ${CONFIG.bodyBytes} B Stripe bodies, ` +
      `${CONFIG.rounds} rounds of ${CONFIG.poolSize} calls per case (median)\n`,
  )
  const { otelMetrics, otelTracing } = await entry<Otel>('otel')
  const { prometheusMetrics } = await entry<Prometheus>('prometheus')
  const pool = await signedPool('stripe', CONFIG.poolSize, CONFIG.bodyBytes)
  const calls: Call[] = pool.map(({ headers, body }) => ({ headers, body: Buffer.from(body) }))

  const notWired: Case = { name: 'not wired', extra: () => ({}) }
  const rows = await phase('no SDK', calls, [
    notWired,
    { name: 'otelTracing(), no SDK', extra: () => ({ tracing: otelTracing() }) },
    { name: 'otelMetrics(), no SDK', extra: () => ({ metrics: otelMetrics() }) },
    { name: 'prometheusMetrics()', extra: () => ({ metrics: prometheusMetrics({ register: new Registry() }) }) },
  ])

  const handleNs = 1e9 / rows[0]!.wall
  const direct = [['otelTracing() per delivery, no SDK', nsPerCall(fullTrace(otelTracing()), 200_000)]] as Array<
    [string, number]
  >

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  const sdk = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard, { maxQueueSize: 65_536 })] })
  trace.setGlobalTracerProvider(sdk)
  rows.push(
    ...(await phase('SDK registered', calls, [
      notWired,
      { name: 'otelTracing()', extra: () => ({ tracing: otelTracing() }) },
    ])),
  )
  direct.push(['otelTracing() per delivery, SDK registered', nsPerCall(fullTrace(otelTracing()), 20_000)])
  await sdk.shutdown()

  console.log(
    table(
      ['phase', 'case', 'handle() calls/s', 'ratio to not wired', 'per round', 'CPU ratio'],
      rows.map((r) => [
        r.phase,
        r.name,
        rate(r.wall),
        fixed(r.ratio, 3),
        r.ratios.map((x) => fixed(x, 2)).join(' '),
        fixed(r.cpuRatio, 3),
      ]),
    ),
  )
  console.log(
    '\n' +
      table(
        ['direct cost', 'ns per delivery', 'share of one not-wired handle() call'],
        direct.map(([name, ns]) => [name, fixed(ns, 0), `${fixed((100 * ns) / handleNs, 2)} %`]),
      ),
  )
  const noSdk = rows.find((r) => r.name === 'otelTracing(), no SDK')!
  const share = direct[0]![1] / handleNs
  const met = (ok: boolean) => (ok ? 'yes' : 'NO')
  console.log(
    `\notelTracing() with no SDK: ${fixed(noSdk.ratio, 3)}× wall, ${fixed(noSdk.cpuRatio, 3)}× CPU ` +
      `(≥ ${TARGET_NO_SDK}: ${met(noSdk.ratio >= TARGET_NO_SDK)}, ${met(noSdk.cpuRatio >= TARGET_NO_SDK)}); ` +
      `direct cost ${fixed(100 * share, 3)} % of a handle() call (< 1 %: ${met(share < 0.01)}).\n` +
      'Ratios are medians of same-round ratios of calls per wall second (CPU: per CPU second of this process).',
  )
  console.log(`\n${loadNow()}; results in ${writeResults('otel', machine, { config: CONFIG, rows, direct, handleNs })}`)
  clearTimeout(stop)
}

await main()
