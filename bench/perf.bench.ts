/**
 * Where the CPU of a request goes, kernel included: the servers of
 * bench:http (inline HMAC and hookguard by default) side by side, loaded in
 * alternating windows and sampled by one `perf record -e cpu-clock -g`, with node's
 * `--perf-basic-prof` naming the JIT code. Prints, in µs of CPU per request:
 * the split by area (kernel, GC, hookguard's JavaScript, the framework and
 * node, V8 and native code), the inclusive time of the JavaScript functions,
 * and the symbols whose self time differs most between the first server and
 * each other one.
 *
 * Needs `perf` (Debian: linux-perf) and permission to sample the server
 * (root, or kernel.perf_event_paranoid ≤ 1). cpu-clock sampling works on VMs
 * without hardware counters. Data files go to .tmp/perf/ (git-ignored).
 *
 *   npm run bench:perf
 *   BENCH_FRAMEWORKS=fastify BENCH_PERF_KINDS=inline,queued,hookguard npm run bench:perf
 */
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { frameworkLabel, type FrameworkName } from './lib/apps/index.js'
import type { ServerKind } from './lib/apps/types.js'
import { GITHUB_PATH, signedPool } from './lib/deliveries.js'
import { DIST } from './lib/dist.js'
import { BODY_BYTES, frameworksFromEnv, kindsFromEnv } from './lib/env.js'
import { rawRequest, RequestCursor, runLoad } from './lib/load.js'
import { applyNice, describeMachine, loadNow, machineHeader } from './lib/machine.js'
import { readStacks, summarise, type Area, type SampleSummary } from './lib/perf-samples.js'
import { fixed, hardStop, median, rate, table, TMP, writeResults } from './lib/report.js'
import { startServer, type ServerHandle } from './lib/server.js'

const CONFIG = {
  warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 3000),
  /** Load per server, split into `windows` alternating windows. */
  sampleMs: Number(process.env.BENCH_PERF_MS ?? 6000),
  windows: 10,
  frequencyHz: 2000,
  connections: 32,
  bodyBytes: BODY_BYTES,
  frameworks: frameworksFromEnv(['node']),
  kinds: kindsFromEnv('BENCH_PERF_KINDS', ['inline', 'hookguard']),
  top: Number(process.env.BENCH_TOP ?? 25),
}
const DIR = resolve(TMP, 'perf')
const AREAS: Area[] = ['kernel', 'GC', 'hookguard', 'framework and node', 'bench harness', 'V8 and native']

interface Sampled {
  kind: ServerKind
  rps: number
  /** The server's own CPU per request (process.cpuUsage over the window), to check the samples against. */
  cpuUsPerRequest: number
  summary: SampleSummary
}

function checkPerf(): void {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' })
  } catch {
    throw new Error('bench:perf needs Linux perf on the PATH (Debian: apt-get install linux-perf)')
  }
}

/**
 * All of a framework's servers side by side under one `perf record`, loaded in turn in short alternating
 * windows (as bench:http does), so a host whose speed drifts slows every server alike.
 */
async function sampleFramework(framework: FrameworkName, pool: Buffer[]): Promise<Sampled[]> {
  const servers: ServerHandle[] = []
  try {
    for (const kind of CONFIG.kinds)
      servers.push(
        await startServer(
          { server: 'http', options: { framework, kind } },
          {
            // V8 writes a log beside the perf map; keep it out of the working directory.
            execArgv: [
              '--perf-basic-prof',
              '--no-logfile-per-isolate',
              `--logfile=${resolve(DIR, `v8-${framework}-${kind}.log`)}`,
            ],
          },
        ),
      )
    const cursors = servers.map(() => new RequestCursor(pool))
    const load = (i: number, durationMs: number) =>
      runLoad({
        url: servers[i]!.url,
        path: GITHUB_PATH,
        connections: CONFIG.connections,
        cursor: cursors[i]!,
        durationMs,
      })
    for (const i of servers.keys()) await load(i, CONFIG.warmupMs)
    const data = resolve(DIR, `${framework}.data`)
    const pids = servers.map((server) => server.pid).join(',')
    const args = ['record', '-q', '-e', 'cpu-clock', '-F', String(CONFIG.frequencyHz), '-g', '-p', pids, '-o', data]
    const perf = spawn('perf', args, { stdio: 'ignore' })
    const exited = once(perf, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
    // perf needs a moment to attach before the first window counts.
    await new Promise((r) => setTimeout(r, 300))
    const served = servers.map(() => 0)
    const cpuUs = servers.map(() => 0)
    const rps = servers.map((): number[] => [])
    const windowMs = CONFIG.sampleMs / CONFIG.windows
    // Servers not under load are idle between their windows: their samples are their own windows' work.
    for (let w = 0; w < CONFIG.windows; w++) {
      const order = w % 2 === 0 ? [...servers.keys()] : [...servers.keys()].reverse()
      for (const i of order) {
        await servers[i]!.mark()
        const result = await load(i, windowMs)
        const usage = await servers[i]!.report()
        served[i] = served[i]! + usage.served
        cpuUs[i] = cpuUs[i]! + usage.cpuUs
        rps[i]!.push(result.rps)
      }
    }
    perf.kill('SIGINT')
    const [code, signal] = await exited
    // perf writes its data on SIGINT and may end by that signal.
    if (code !== 0 && signal !== 'SIGINT')
      throw new Error(`perf record exited with ${String(code)} (is perf_event_paranoid ≤ 1, or are you root?)`)
    for (const [i, cursor] of cursors.entries())
      if (cursor.reused > 0)
        console.log(`\nWARNING: ${framework} ${CONFIG.kinds[i]}: ${cursor.reused} deliveries sent twice`)
    // perf script reads /tmp/perf-<pid>.map, which each server writes as it compiles: read it while they run.
    const stacks = readStacks(data)
    return servers.map((server, i) => ({
      kind: CONFIG.kinds[i]!,
      rps: median(rps[i]!),
      cpuUsPerRequest: cpuUs[i]! / Math.max(1, served[i]!),
      summary: summarise(stacks.get(server.pid) ?? [], served[i]!, CONFIG.frequencyHz, DIST),
    }))
  } finally {
    for (const server of servers) {
      await server.stop()
      rmSync(`/tmp/perf-${server.pid}.map`, { force: true })
    }
  }
}

function top(map: Map<string, number>, n: number): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
}

function report(framework: FrameworkName, results: Sampled[]): void {
  console.log(`\n## ${frameworkLabel(framework)}: CPU per request by area (µs, sampled)\n`)
  console.log(
    table(
      ['server', 'req/s', 'process CPU', 'sampled', ...AREAS],
      results.map((r) => [
        r.kind,
        rate(r.rps),
        fixed(r.cpuUsPerRequest),
        fixed(r.summary.totalUs),
        ...AREAS.map((area) => fixed(r.summary.byArea.get(area) ?? 0, 2)),
      ]),
    ),
  )
  for (const r of results) {
    const rows = top(r.summary.inclusive, CONFIG.top).map(([name, us]) => [fixed(us, 2), name.slice(0, 110)])
    console.log(`\n### ${r.kind}: JavaScript functions, inclusive (µs per request)\n`)
    console.log(table(['µs', 'function'], rows))
  }
  const [first, ...others] = results
  for (const other of others) {
    const names = new Set([...first!.summary.self.keys(), ...other.summary.self.keys()])
    const rows = [...names]
      .map((name) => {
        const a = first!.summary.self.get(name) ?? 0
        const b = other.summary.self.get(name) ?? 0
        return { name, a, b, delta: b - a }
      })
      .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta))
      .slice(0, CONFIG.top)
      .map(({ name, a, b, delta }) => [
        fixed(a, 2),
        fixed(b, 2),
        (delta >= 0 ? '+' : '') + fixed(delta, 2),
        name.slice(0, 100),
      ])
    console.log(`\n### Self time, ${first!.kind} → ${other.kind}: the largest differences (µs per request)\n`)
    console.log(table([first!.kind, other.kind, 'difference', 'symbol'], rows))
  }
}

async function main(): Promise<void> {
  const stop = hardStop('bench:perf', 600_000)
  checkPerf()
  applyNice()
  const machine = describeMachine()
  console.log(machineHeader(machine))
  console.log(
    `bench:perf: perf record -e cpu-clock -g at ${CONFIG.frequencyHz} Hz of each server over ${CONFIG.sampleMs} ms of ` +
      `load per server (${CONFIG.windows} alternating windows) after ${CONFIG.warmupMs} ms of warm-up, ` +
      `${CONFIG.connections} connections, 1 KiB GitHub deliveries with fresh ids`,
  )
  mkdirSync(DIR, { recursive: true })
  const size = Math.ceil((30_000 * (CONFIG.warmupMs + CONFIG.sampleMs)) / 1000)
  const pool = (await signedPool('github', size, CONFIG.bodyBytes)).map((d) => rawRequest(GITHUB_PATH, d))
  const all: Record<string, unknown> = {}
  for (const framework of CONFIG.frameworks) {
    const results = await sampleFramework(framework, pool)
    report(framework, results)
    all[framework] = results.map((r) => ({
      kind: r.kind,
      rps: r.rps,
      cpuUsPerRequest: r.cpuUsPerRequest,
      sampledUsPerRequest: r.summary.totalUs,
      byArea: Object.fromEntries(r.summary.byArea),
      inclusive: Object.fromEntries(top(r.summary.inclusive, 60)),
      self: Object.fromEntries(top(r.summary.self, 120)),
    }))
  }
  console.log(`\n${loadNow()}; results in ${writeResults('perf', machine, { config: CONFIG, results: all })}`)
  clearTimeout(stop)
}

await main()
