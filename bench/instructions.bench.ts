/**
 * Instructions per request of each bench:http server, counted by valgrind's
 * callgrind instead of timed: the same build, inputs and load give the same
 * count (±1 %) whatever else the machine runs, so a change of a few per cent
 * shows on a host where req/s swings by ±20 % between minutes.
 *
 * Each server (inline HMAC, queued by hand, hookguard) runs in its own child
 * under callgrind, the same child as bench:http (bench/lib/server-child.ts).
 * A client in this process sends fresh signed GitHub deliveries (1 KiB, a new
 * delivery id each) over `connections` keep-alive connections: `warmup`
 * requests, then callgrind's counters are zeroed, `requests` more are sent and
 * the counters are dumped. The count covers every thread of the server
 * process (GC helpers, libuv, the compiler threads) in user space; the
 * kernel's side (the loopback writes that dominate bench:http's CPU figures)
 * is not counted. V8 still optimises functions a few thousand requests after
 * start under valgrind, so the compiler threads' share (TurboFan and Maglev
 * functions, by symbol) is reported apart and left out of the steady-state
 * figure and its ratio.
 *
 *   npm run bench:instructions
 *   BENCH_FRAMEWORKS=node,koa BENCH_KINDS=inline,hookguard npm run bench:instructions
 *
 * Needs valgrind (Debian: apt-get install valgrind); without it, it says so and exits.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs'
import { connect } from 'node:net'
import { resolve } from 'node:path'
import { frameworkLabel, type FrameworkName } from './lib/apps/index.js'
import type { ServerKind } from './lib/apps/types.js'
import { GITHUB_PATH, signedPool } from './lib/deliveries.js'
import { rawRequest } from './lib/load.js'
import { describeMachine, loadNow, machineHeader } from './lib/machine.js'
import { BODY_BYTES, frameworksFromEnv, kindsFromEnv } from './lib/env.js'
import { fixed, table, TMP, writeResults } from './lib/report.js'
import { startServer } from './lib/server.js'

const CONFIG = {
  frameworks: frameworksFromEnv(['node', 'express', 'koa', 'hono', 'fastify']),
  kinds: kindsFromEnv('BENCH_KINDS', ['inline', 'queued', 'hookguard']),
  warmup: Number(process.env.BENCH_WARMUP_REQUESTS ?? 8000),
  requests: Number(process.env.BENCH_REQUESTS ?? 3000),
  connections: 8,
  bodyBytes: BODY_BYTES,
  /** Servers under callgrind at once (each is single-threaded under valgrind). */
  parallel: Number(process.env.BENCH_PARALLEL ?? 2),
  /** BENCH_TOP=N: name the N functions that add most to hookguard's count over the hand-written queued server. */
  top: Number(process.env.BENCH_TOP ?? 0),
  /**
   * BENCH_TOP_PAIR=base,other: the two servers BENCH_TOP compares, e.g. `hookguard-verify,hookguard-dedupe` for
   * what memoryStore adds. Default: queued (or inline, or hookguard-dedupe) against hookguard.
   */
  topPair: process.env.BENCH_TOP_PAIR ? kindsFromEnv('BENCH_TOP_PAIR', []) : undefined,
}
const DIR = resolve(TMP, 'callgrind')
const COMPILER = /compiler::|maglev::|turboshaft::|Pipeline|Turbofan|OptimizedCompilationJob/

interface Count {
  framework: FrameworkName
  kind: ServerKind
  /** Instructions per request, all threads. */
  total: number
  /** Of which the optimising compilers'. */
  compiler: number
  /** total − compiler. */
  steady: number
  /** With BENCH_TOP: instructions per request by function, JIT code named from V8's perf map. */
  functions?: Map<string, number>
}

/**
 * Self cost per function in a callgrind output file (format: fn=/cfn= with
 * name compression, cost lines "position cost", a calls= line followed by the
 * callee's inclusive cost, which is not self cost).
 */
function selfCosts(text: string): Map<string, number> {
  const names = new Map<string, string>()
  const costs = new Map<string, number>()
  let current = ''
  let inclusiveNext = false
  const named = (spec: string): string => {
    const match = /^\((\d+)\)(?: (.*))?$/.exec(spec)
    if (!match) return spec
    if (match[2] !== undefined) names.set(match[1]!, match[2])
    return names.get(match[1]!) ?? spec
  }
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) current = named(line.slice(3))
    else if (line.startsWith('cfn=')) named(line.slice(4))
    else if (line.startsWith('calls=')) inclusiveNext = true
    else if (/^[0-9+\-*]/.test(line)) {
      if (inclusiveNext) inclusiveNext = false
      else {
        const cost = Number(line.split(' ')[1])
        if (Number.isFinite(cost)) costs.set(current, (costs.get(current) ?? 0) + cost)
      }
    }
  }
  return costs
}

/** V8's `--perf-basic-prof` map: code address ranges and the JavaScript function (or stub) each holds. */
function perfMap(pid: number, keepAs: string): { start: number; end: number; name: string }[] {
  const file = `/tmp/perf-${pid}.map`
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  // Kept beside the callgrind file, for a closer look (callgrind_annotate, inclusive costs).
  copyFileSync(file, keepAs)
  unlinkSync(file)
  const entries: { start: number; end: number; name: string }[] = []
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line)
    if (!match) continue
    const start = Number.parseInt(match[1]!, 16)
    // Tier markers (~ interpreted, * optimised) and full paths would split one function into several rows.
    const name = match[3]!.replace(/^(\w+:)[~*^+]/, '$1').replace(/file:\/\/\S*\/(node_modules\/)?/, '')
    entries.push({ start, end: start + Number.parseInt(match[2]!, 16), name })
  }
  return entries.sort((a, b) => a.start - b.start)
}

/** Per-function costs with callgrind's bare JIT addresses (`0x…`) replaced by the perf map's names. */
function namedCosts(costs: Map<string, number>, map: ReturnType<typeof perfMap>, answered: number) {
  const named = new Map<string, number>()
  for (const [name, cost] of costs) {
    let label = name
    const address = /^0x([0-9a-f]+)$/i.exec(name)
    if (address && map.length > 0) {
      const at = Number.parseInt(address[1]!, 16)
      let lo = 0
      let hi = map.length - 1
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if (map[mid]!.start <= at) lo = mid
        else hi = mid - 1
      }
      label = map[lo]!.start <= at && at < map[lo]!.end ? map[lo]!.name : 'JIT code without a name'
    }
    named.set(label, (named.get(label) ?? 0) + cost / answered)
  }
  return named
}

/** `requests` requests from `pool`, `connections` at a time, each connection waiting for its answer. */
async function send(
  port: number,
  pool: Buffer[],
  from: number,
  requests: number,
  connections: number,
): Promise<number> {
  let next = from
  let answered = 0
  const oneConnection = (): Promise<void> =>
    new Promise((done, fail) => {
      const socket = connect(port, '127.0.0.1')
      let pending = ''
      const ask = (): void => {
        if (next - from >= requests) {
          socket.end()
          done()
          return
        }
        socket.write(pool[next++]!)
      }
      socket.on('connect', ask)
      socket.on('error', fail)
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1')
        // Every answer here is a small complete message: its status line starts it, the body or last chunk ends it.
        if (!/^HTTP\/1\.1 200 /.test(pending)) {
          if (pending.length > 12) fail(new Error(`bench: unexpected answer ${JSON.stringify(pending.slice(0, 60))}`))
          return
        }
        if (!/\r\n\r\n(\{[^]*\}|[0-9a-f]+\r\n[^]*\r\n0\r\n\r\n)$/.test(pending)) return
        pending = ''
        answered++
        ask()
      })
    })
  await Promise.all(Array.from({ length: connections }, oneConnection))
  return answered
}

async function count(framework: FrameworkName, kind: ServerKind, pool: Buffer[]): Promise<Count> {
  const out = resolve(DIR, `${framework}-${kind}.%p.out`)
  const server = await startServer(
    { server: 'http', options: { framework, kind } },
    {
      execPath: 'valgrind',
      execArgv: [
        '--tool=callgrind',
        '--smc-check=all-non-file',
        `--callgrind-out-file=${out}`,
        '-q',
        process.execPath,
        // The perf map names JIT code; V8's log, which it turns on, goes to DIR instead of the working directory.
        ...(CONFIG.top > 0
          ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${resolve(DIR, 'v8.log')}`]
          : []),
      ],
      env: { ...process.env, BENCH_SERVER_LIFETIME_MS: '1800000' },
    },
  )
  try {
    const port = Number(new URL(server.url).port)
    await send(port, pool, 0, CONFIG.warmup, CONFIG.connections)
    execFileSync('callgrind_control', ['--zero', String(server.pid)], { stdio: 'ignore' })
    const answered = await send(port, pool, CONFIG.warmup, CONFIG.requests, CONFIG.connections)
    execFileSync('callgrind_control', ['--dump', String(server.pid)], { stdio: 'ignore' })
    // The dump after the zeroing is part 1: <out>.<pid>.1
    const dumped = readdirSync(DIR).find((file) => file === `${framework}-${kind}.${server.pid}.out.1`)
    if (!dumped) throw new Error(`bench: no callgrind dump for ${framework} ${kind} in ${DIR}`)
    const costs = selfCosts(readFileSync(resolve(DIR, dumped), 'utf8'))
    let total = 0
    let compiler = 0
    for (const [name, cost] of costs) {
      total += cost
      if (COMPILER.test(name)) compiler += cost
    }
    return {
      framework,
      kind,
      total: total / answered,
      compiler: compiler / answered,
      steady: (total - compiler) / answered,
      ...(CONFIG.top > 0 && {
        functions: namedCosts(
          costs,
          perfMap(server.pid, resolve(DIR, `${framework}-${kind}.${server.pid}.map`)),
          answered,
        ),
      }),
    }
  } finally {
    await server.stop()
  }
}

/**
 * The functions whose count differs most between two servers: BENCH_TOP_PAIR's, or by default the queued
 * baseline (or inline, or hookguard without its queue: `BENCH_KINDS=hookguard-dedupe,hookguard` names what the
 * queue and its worker cost) and hookguard.
 */
function printTop(framework: FrameworkName, of: (f: FrameworkName, k: ServerKind) => Count | undefined): void {
  const [baseKind, otherKind] = CONFIG.topPair ?? [undefined, 'hookguard']
  const other = of(framework, otherKind!)
  const hookguard = other?.functions
  const base = baseKind
    ? of(framework, baseKind)
    : (of(framework, 'queued') ?? of(framework, 'inline') ?? of(framework, 'hookguard-dedupe'))
  if (!hookguard || !base?.functions) return
  const names = new Set([...hookguard.keys(), ...base.functions.keys()])
  const rows = [...names]
    .map((name) => ({ name, base: base.functions!.get(name) ?? 0, hookguard: hookguard.get(name) ?? 0 }))
    .filter((row) => !COMPILER.test(row.name))
    .sort((a, b) => Math.abs(b.hookguard - b.base) - Math.abs(a.hookguard - a.base))
    .slice(0, CONFIG.top)
  console.log(
    `\n${frameworkLabel(framework)}: instructions per request by function, ${base.kind} and ${other!.kind}:\n`,
  )
  console.log(
    table(
      ['function', base.kind, other!.kind, 'difference'],
      rows.map((row) => [
        row.name.length > 110 ? `${row.name.slice(0, 107)}...` : row.name,
        fixed(row.base),
        fixed(row.hookguard),
        `${row.hookguard >= row.base ? '+' : ''}${fixed(row.hookguard - row.base)}`,
      ]),
    ),
  )
}

async function main(): Promise<void> {
  if (CONFIG.topPair && CONFIG.topPair.length !== 2)
    throw new Error('bench: BENCH_TOP_PAIR takes two servers: base,other')
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('bench:instructions needs valgrind (apt-get install valgrind); not found, nothing measured.')
    return
  }
  const machine = describeMachine()
  console.log(machineHeader(machine))
  console.log(
    `bench:instructions: callgrind, ${CONFIG.warmup} warm-up + ${CONFIG.requests} counted requests per server, ` +
      `${CONFIG.connections} connections, ${CONFIG.bodyBytes} B GitHub push, a new delivery id per request`,
  )
  rmSync(DIR, { recursive: true, force: true })
  mkdirSync(DIR, { recursive: true })
  const pool = (await signedPool('github', CONFIG.warmup + CONFIG.requests, CONFIG.bodyBytes)).map((delivery) =>
    rawRequest(GITHUB_PATH, delivery),
  )
  const jobs = CONFIG.frameworks.flatMap((framework) => CONFIG.kinds.map((kind) => ({ framework, kind })))
  const counts: Count[] = []
  const started = Date.now()
  for (let i = 0; i < jobs.length; i += CONFIG.parallel) {
    const batch = jobs.slice(i, i + CONFIG.parallel)
    counts.push(...(await Promise.all(batch.map(({ framework, kind }) => count(framework, kind, pool)))))
    console.log(
      `${Math.min(i + CONFIG.parallel, jobs.length)}/${jobs.length} servers counted (${Math.round((Date.now() - started) / 1000)} s)`,
    )
  }

  const of = (framework: FrameworkName, kind: ServerKind): Count | undefined =>
    counts.find((c) => c.framework === framework && c.kind === kind)
  const k = (n: number | undefined): string => (n === undefined ? '–' : fixed(n / 1000))
  const ratio = (a: number | undefined, b: number | undefined): string =>
    a === undefined || b === undefined ? '–' : fixed(a / b, 2)
  console.log('\nThousands of instructions per request (steady state: without the optimising compilers), and ratios:\n')
  console.log(
    table(
      [
        'framework',
        'inline',
        'queued',
        'by hand',
        'hookguard',
        'inline/hookguard',
        'queued/hookguard',
        'by hand/hookguard',
        'hookguard − inline',
      ],
      CONFIG.frameworks.map((framework) => {
        const [inline, queued, guarded, hookguard] = (['inline', 'queued', 'guarded', 'hookguard'] as const).map(
          (kind) => of(framework, kind)?.steady,
        )
        return [
          frameworkLabel(framework),
          k(inline),
          k(queued),
          k(guarded),
          k(hookguard),
          ratio(inline, hookguard),
          ratio(queued, hookguard),
          ratio(guarded, hookguard),
          inline === undefined || hookguard === undefined ? '–' : k(hookguard - inline),
        ]
      }),
    ),
  )
  console.log('\nEvery thread, the compilers included (thousands of instructions per request):\n')
  console.log(
    table(
      ['framework', 'server', 'total', 'compiler threads', 'steady'],
      counts.map((c) => [c.framework, c.kind, k(c.total), k(c.compiler), k(c.steady)]),
    ),
  )
  if (CONFIG.top > 0) for (const framework of CONFIG.frameworks) printTop(framework, of)
  const file = writeResults('instructions', machine, {
    config: CONFIG,
    counts: counts.map(({ functions: _functions, ...count }) => count),
  })
  console.log(`\n${Math.round((Date.now() - started) / 1000)} s, ${loadNow()}; results in ${file}`)
}

await main()
