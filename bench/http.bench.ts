/**
 * HTTP benchmark of the whole receive path, per framework (node:http, Express,
 * Koa, Hono on @hono/node-server, Fastify): a 1 KiB GitHub
 * `push` POSTed over loopback by 32 keep-alive connections (autocannon),
 * every request with its own delivery id, against three servers:
 *
 *   bare       read the raw body, answer 200
 *   inline     bare + hand-written GitHub HMAC-SHA256 check (timingSafeEqual) + JSON.parse
 *   queued     inline + a hand-written dedupe by delivery id and in-memory queue whose
 *              handler only counts (bench/lib/inline.ts, HandQueue): the least code
 *              that does the job hookguard does, a floor for its cost
 *   hookguard  the framework's hookguard adapter: GitHub provider, memoryStore,
 *              memoryQueue with a no-op handler
 *
 * Each server runs in a fresh process (bench/lib/server-child.ts) in which
 * the child counts its own CPU (process.cpuUsage) and requests. A round
 * starts a framework's four servers side by side and warms each up; then
 * their valid-path windows alternate (bare, inline, queued, hookguard, bare,
 * … in a rotating order, a short unmeasured re-warm before each), so a host
 * whose speed drifts over seconds (other tenants' work) slows all four
 * alike instead of whichever ran in the slow stretch. A server's figures
 * for the round add up its windows. After the windows, the same hookguard
 * process is measured on the duplicate path (one delivery resent: 200,
 * marked duplicate) and the forged path (wrong signature: 401); the inline
 * server on its forged path too. Ratios are taken within a round, then the
 * median over rounds. Target: hookguard ≥ 0.8× inline req/s on each
 * framework; the queued/inline ratio shows how much of that the job itself
 * (dedupe and queue, however written) leaves.
 *
 *   npm run bench:http                 # full run, about 6 minutes
 *   BENCH_QUICK=1 npm run bench:http   # ~30 s smoke run
 *   BENCH_FRAMEWORKS=node,hono BENCH_ROUNDS=5 npm run bench:http
 */
import { frameworkLabel, type FrameworkName } from './lib/apps/index.js'
import { GUARDED_FRAMEWORKS, SERVER_LABELS, type AppKind } from './lib/apps/types.js'
import { forged, GITHUB_PATH, signedPool } from './lib/deliveries.js'
import { rawRequest, RequestCursor, runLoad, type LoadResult } from './lib/load.js'
import { applyNice, describeMachine, loadNow, machineHeader } from './lib/machine.js'
import { BODY_BYTES, frameworksFromEnv } from './lib/env.js'
import { fixed, hardStop, median, rate, table, writeResults } from './lib/report.js'
import { startServer, type ServerHandle, type ServerUsage } from './lib/server.js'

const QUICK = process.env.BENCH_QUICK === '1'
const CONFIG = {
  rounds: Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3)),
  /**
   * Long enough for V8 to finish optimising: with 700 ms, TurboFan was still compiling some 70 of
   * hookguard's functions inside the measured window, on the core the load generator needs
   * (accepted path 92.9 → 75.7 µs CPU/request with 4 s). A webhook server runs for hours: the
   * steady state is what counts, for every server alike.
   */
  warmupMs: Number(process.env.BENCH_WARMUP_MS ?? (QUICK ? 400 : 3000)),
  /** One measured window; each server gets `windows` of them per round, alternating with the others. */
  measureMs: Number(process.env.BENCH_MEASURE_MS ?? (QUICK ? 400 : 600)),
  windows: Number(process.env.BENCH_WINDOWS ?? (QUICK ? 2 : 5)),
  /** Unmeasured load before each window: new connections and the server back in its steady state. */
  rewarmMs: QUICK ? 100 : 200,
  /**
   * Warm-up of the duplicate and forged paths, whose code is new to the warmed-up process: with 250 ms,
   * V8 was still optimising the rejection path inside the forged window on some runs (Koa forged/valid 0.72–1.09).
   */
  phaseWarmupMs: QUICK ? 150 : 1000,
  connections: Number(process.env.BENCH_CONNECTIONS ?? 32),
  bodyBytes: BODY_BYTES,
  frameworks: frameworksFromEnv(),
}
const TARGET = 0.8

type Path = 'bare' | 'inline' | 'queued' | 'guarded' | 'hookguard' | 'duplicate' | 'forged' | 'inline-forged'
type PoolName = 'fresh' | 'same' | 'forged'
const PATHS: Record<Path, { pool: PoolName; status: number }> = {
  bare: { pool: 'fresh', status: 200 },
  inline: { pool: 'fresh', status: 200 },
  queued: { pool: 'fresh', status: 200 },
  guarded: { pool: 'fresh', status: 200 },
  hookguard: { pool: 'fresh', status: 200 },
  duplicate: { pool: 'same', status: 200 },
  forged: { pool: 'forged', status: 401 },
  'inline-forged': { pool: 'forged', status: 401 },
}
const PATH_NAMES = Object.keys(PATHS) as Path[]
/** The servers of every framework; `guarded` (hookguard's guarantees by hand, bench/lib/guarded.ts) where it exists. */
type HttpKind = AppKind
/** The paths each server process serves; the first is the one the round's ratio uses. */
const PHASES: Record<HttpKind, Path[]> = {
  bare: ['bare'],
  inline: ['inline', 'inline-forged'],
  queued: ['queued'],
  guarded: ['guarded'],
  hookguard: ['hookguard', 'duplicate', 'forged'],
}
const KINDS = Object.keys(PHASES) as HttpKind[]

function kindsOf(framework: FrameworkName): HttpKind[] {
  return GUARDED_FRAMEWORKS.includes(framework) ? KINDS : KINDS.filter((kind) => kind !== 'guarded')
}

interface Run {
  round: number
  framework: FrameworkName
  path: Path
  load: LoadResult
  server: ServerUsage
  /** Server CPU per request served, µs. */
  cpuUsPerRequest: number
  /** Server CPU as a share of one core. */
  serverCpuShare: number
  /** What went wrong with the run's responses, if anything. */
  problems: string[]
}

function problems(path: Path, load: LoadResult): string[] {
  const found: string[] = []
  const expected = String(PATHS[path].status)
  const other = Object.entries(load.statuses).filter(([code]) => code !== expected)
  if (other.length > 0) found.push(`statuses ${other.map(([code, n]) => `${code}×${n}`).join(' ')}`)
  if (load.errors + load.timeouts > 0) found.push(`${load.errors} errors, ${load.timeouts} timeouts`)
  if (PATHS[path].pool === 'fresh' && load.reused > 0) found.push(`pool ran out: ${load.reused} ids resent`)
  return found
}

type Pools = Record<PoolName, Buffer[]>

function runOf(round: number, framework: FrameworkName, path: Path, load: LoadResult, usage: ServerUsage): Run {
  const found = problems(path, load)
  // The resent delivery was accepted in the valid phase: no handler run may follow.
  if (path === 'duplicate' && Number(usage.stats.handled) > 0)
    found.push(`handler ran ${String(usage.stats.handled)}× on duplicates`)
  return {
    round,
    framework,
    path,
    load,
    server: usage,
    cpuUsPerRequest: usage.cpuUs / Math.max(1, usage.served),
    serverCpuShare: usage.cpuUs / 1000 / usage.elapsedMs,
    problems: found,
  }
}

interface Window {
  load: LoadResult
  usage: ServerUsage
}

/** A server's windows of one round as one measurement: counts and times added up, latencies the median. */
function combine(windows: Window[]): Window {
  const sum = (pick: (w: Window) => number): number => windows.reduce((total, w) => total + pick(w), 0)
  const requests = sum((w) => w.load.requests)
  const durationMs = sum((w) => w.load.durationMs)
  const statuses: Record<string, number> = {}
  for (const w of windows)
    for (const [code, n] of Object.entries(w.load.statuses)) statuses[code] = (statuses[code] ?? 0) + n
  const clientCpuUs = sum((w) => w.load.clientCpuUsPerRequest * w.load.requests)
  const stats: Record<string, unknown> = {}
  for (const w of windows)
    for (const [name, value] of Object.entries(w.usage.stats))
      if (typeof value === 'number') stats[name] = ((stats[name] as number | undefined) ?? 0) + value
  return {
    load: {
      requests,
      durationMs,
      rps: (requests * 1000) / durationMs,
      statuses,
      errors: sum((w) => w.load.errors),
      timeouts: sum((w) => w.load.timeouts),
      meanMs: sum((w) => w.load.meanMs * w.load.requests) / Math.max(1, requests),
      p50Ms: median(windows.map((w) => w.load.p50Ms)),
      p99Ms: median(windows.map((w) => w.load.p99Ms)),
      clientCpuUsPerRequest: clientCpuUs / Math.max(1, requests),
      clientCpuShare: clientCpuUs / 1000 / durationMs,
      reused: sum((w) => w.load.reused),
    },
    usage: {
      cpuUs: sum((w) => w.usage.cpuUs),
      userUs: sum((w) => w.usage.userUs),
      systemUs: sum((w) => w.usage.systemUs),
      served: sum((w) => w.usage.served),
      elapsedMs: sum((w) => w.usage.elapsedMs),
      window: [windows[0]!.usage.window[0], windows.at(-1)!.usage.window[1]],
      stats,
    },
  }
}

/**
 * One round of one framework: its servers in fresh processes side by side,
 * each warmed up, then every path in turn (each server's valid path, and the
 * duplicate and forged paths on the same processes) in alternating windows,
 * so drift of the host over the round lands on every path alike.
 */
async function measureFramework(round: number, framework: FrameworkName, pools: Pools): Promise<Run[]> {
  const kinds = order(kindsOf(framework), round)
  const paths = kinds.flatMap((kind) => PHASES[kind])
  const servers = new Map<HttpKind, ServerHandle>()
  try {
    for (const kind of kinds) servers.set(kind, await startServer({ server: 'http', options: { framework, kind } }))
    const serverOf = (path: Path): ServerHandle => servers.get(kinds.find((kind) => PHASES[kind].includes(path))!)!
    const cursors = new Map(paths.map((path) => [path, new RequestCursor(pools[PATHS[path].pool])]))
    const load = (path: Path, durationMs: number) =>
      runLoad({
        url: serverOf(path).url,
        path: GITHUB_PATH,
        connections: CONFIG.connections,
        cursor: cursors.get(path)!,
        durationMs,
      })
    // Each server's valid path first: the duplicate path's delivery is then one the server accepted before.
    for (const kind of kinds) await load(PHASES[kind][0]!, CONFIG.warmupMs)
    for (const kind of kinds) for (const path of PHASES[kind].slice(1)) await load(path, CONFIG.phaseWarmupMs)
    const windows = new Map<Path, Window[]>(paths.map((path) => [path, []]))
    for (let w = 0; w < CONFIG.windows; w++) {
      for (const path of order(paths, round + w)) {
        const server = serverOf(path)
        await load(path, CONFIG.rewarmMs)
        await server.mark()
        const measured = await load(path, CONFIG.measureMs)
        windows.get(path)!.push({ load: measured, usage: await server.report() })
      }
    }
    return paths.map((path) => {
      const combined = combine(windows.get(path)!)
      return runOf(round, framework, path, combined.load, combined.usage)
    })
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()))
  }
}

/** Rotates `items` by `turn`, so no server or path always runs first or right after the same neighbour. */
function order<T>(items: T[], turn: number): T[] {
  const shift = turn % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}

/** Raw requests: enough distinct deliveries for one server's warm-up and windows at a generous rate. */
async function buildPools(): Promise<Pools> {
  const measuredMs = CONFIG.windows * (CONFIG.rewarmMs + CONFIG.measureMs)
  const size = Math.ceil((45_000 * (CONFIG.warmupMs + measuredMs)) / 1000)
  const deliveries = await signedPool('github', size, CONFIG.bodyBytes)
  const fresh = deliveries.map((delivery) => rawRequest(GITHUB_PATH, delivery))
  // Forged requests never reach the store: a smaller pool, reused, does.
  const forgedPool = deliveries.slice(0, 4096).map((delivery) => rawRequest(GITHUB_PATH, forged(delivery)))
  return { fresh, same: [fresh[0]!], forged: forgedPool }
}

interface Summary {
  framework: FrameworkName
  label: string
  rps: Record<Path, number>
  cpuUsPerRequest: Record<Path, number>
  serverCpuShare: Record<Path, number>
  clientCpuShare: Record<Path, number>
  /** Median over rounds of hookguard / inline req/s within a round. */
  ratio: number
  ratios: number[]
  /** Median over rounds of queued (hand-written dedupe + queue) / inline req/s: what the job itself leaves. */
  queuedRatio: number
  /** Median over rounds of hookguard / queued req/s: hookguard against the same job written by hand. */
  vsQueued: number
  /** Median over rounds of guarded (hookguard's guarantees by hand) / inline req/s; NaN without that server. */
  guardedRatio: number
  /** Median over rounds of hookguard / guarded req/s; NaN without that server. */
  vsGuarded: number
  /** Median over rounds of inline / hookguard server CPU per request (≥ 1 means hookguard is cheaper). */
  cpuRatio: number
  /** Median over rounds of hookguard forged / hookguard valid server CPU per request (same process). */
  forgedCost: number
  problems: string[]
}

function summarise(framework: FrameworkName, runs: Run[]): Summary {
  const mine = runs.filter((run) => run.framework === framework)
  const perPath = (pick: (run: Run) => number): Record<Path, number> =>
    Object.fromEntries(
      PATH_NAMES.map((path) => [path, median(mine.filter((run) => run.path === path).map(pick))]),
    ) as Record<Path, number>
  const rounds = [...new Set(mine.map((run) => run.round))]
  // guarded runs on GUARDED_FRAMEWORKS only.
  const has = (path: Path): boolean => mine.some((run) => run.path === path)
  const get = (round: number, path: Path): Run => mine.find((run) => run.round === round && run.path === path)!
  const perRound = (a: Path, b: Path, pick: (run: Run) => number): number[] =>
    has(a) && has(b) ? rounds.map((round) => pick(get(round, a)) / pick(get(round, b))) : []
  const ratios = perRound('hookguard', 'inline', (run) => run.load.rps)
  return {
    framework,
    label: frameworkLabel(framework),
    rps: perPath((run) => run.load.rps),
    cpuUsPerRequest: perPath((run) => run.cpuUsPerRequest),
    serverCpuShare: perPath((run) => run.serverCpuShare),
    clientCpuShare: perPath((run) => run.load.clientCpuShare),
    ratio: median(ratios),
    ratios,
    queuedRatio: median(perRound('queued', 'inline', (run) => run.load.rps)),
    vsQueued: median(perRound('hookguard', 'queued', (run) => run.load.rps)),
    guardedRatio: median(perRound('guarded', 'inline', (run) => run.load.rps)),
    vsGuarded: median(perRound('hookguard', 'guarded', (run) => run.load.rps)),
    cpuRatio: median(perRound('inline', 'hookguard', (run) => run.cpuUsPerRequest)),
    forgedCost: median(perRound('forged', 'hookguard', (run) => run.cpuUsPerRequest)),
    problems: mine.flatMap((run) => run.problems.map((p) => `${framework} ${run.path} round ${run.round + 1}: ${p}`)),
  }
}

function printThroughput(summaries: Summary[]): void {
  console.log('\nThroughput (median req/s) and the same-round ratio hookguard / inline HMAC:\n')
  console.log(
    table(
      [
        'framework',
        ...KINDS.map((kind) => SERVER_LABELS[kind]),
        'hookguard/inline',
        'per round',
        `≥ ${TARGET}`,
        'queued/inline',
        'hookguard/queued',
        'by hand/inline',
        'hookguard/by hand',
      ],
      summaries.map((s) => [
        s.label,
        ...KINDS.map((kind) => rate(s.rps[kind])),
        fixed(s.ratio, 2),
        s.ratios.map((r) => fixed(r, 2)).join(' '),
        s.ratio >= TARGET ? 'yes' : 'NO',
        fixed(s.queuedRatio, 2),
        fixed(s.vsQueued, 2),
        fixed(s.guardedRatio, 2),
        fixed(s.vsGuarded, 2),
      ]),
    ),
  )
}

function printCpu(summaries: Summary[]): void {
  console.log('\nServer CPU per request (µs: user+system of the server process / requests it served; median):\n')
  console.log(
    table(
      [
        'framework',
        'bare',
        'inline',
        'queued',
        'by hand',
        'hookguard',
        'hg − inline',
        'inline/hg',
        'duplicate',
        'forged',
        'forged/valid',
        'inline forged',
      ],
      summaries.map((s) => [
        s.label,
        fixed(s.cpuUsPerRequest.bare),
        fixed(s.cpuUsPerRequest.inline),
        fixed(s.cpuUsPerRequest.queued),
        fixed(s.cpuUsPerRequest.guarded),
        fixed(s.cpuUsPerRequest.hookguard),
        fixed(s.cpuUsPerRequest.hookguard - s.cpuUsPerRequest.inline),
        fixed(s.cpuRatio, 2),
        fixed(s.cpuUsPerRequest.duplicate),
        fixed(s.cpuUsPerRequest.forged),
        fixed(s.forgedCost, 2),
        fixed(s.cpuUsPerRequest['inline-forged']),
      ]),
    ),
  )
}

function printPaths(summaries: Summary[], runs: Run[]): void {
  const pct = (share: number): string => `${fixed(share * 100, 0)} %`
  console.log('\nEvery path (medians): server and client CPU as a share of one core, client-side latency:\n')
  const rows = summaries.flatMap((s) =>
    PATH_NAMES.flatMap((path) => {
      const mine = runs.filter((run) => run.framework === s.framework && run.path === path)
      if (mine.length === 0) return []
      return [
        [
          s.framework,
          path,
          rate(s.rps[path]),
          fixed(s.cpuUsPerRequest[path]),
          pct(s.serverCpuShare[path]),
          pct(s.clientCpuShare[path]),
          fixed(median(mine.map((run) => run.load.clientCpuUsPerRequest))),
          fixed(median(mine.map((run) => run.load.p50Ms)), 0),
          fixed(median(mine.map((run) => run.load.p99Ms)), 0),
        ],
      ]
    }),
  )
  const header = [
    'framework',
    'path',
    'req/s',
    'server µs/req',
    'server CPU',
    'client CPU',
    'client µs/req',
    'p50 ms',
    'p99 ms',
  ]
  console.log(table(header, rows))
  printBottlenecks(summaries)
  const found = summaries.flatMap((s) => s.problems)
  console.log(
    found.length === 0
      ? '\nEvery response as expected (200, duplicate 200, forged 401).'
      : `\nPROBLEMS:\n${found.join('\n')}`,
  )
}

/** Says which runs the client capped, and which ran on a machine busy with other work. */
function printBottlenecks(summaries: Summary[]): void {
  const clientBound: string[] = []
  const starved: string[] = []
  for (const s of summaries) {
    for (const path of PATH_NAMES) {
      if (!Number.isFinite(s.clientCpuShare[path])) continue
      if (s.clientCpuShare[path] >= 0.9) clientBound.push(`${s.framework} ${path}`)
      else if (s.serverCpuShare[path] < 0.85) starved.push(`${s.framework} ${path}`)
    }
  }
  if (clientBound.length > 0) console.log(`\nClient near a full core (its req/s is a floor): ${clientBound.join(', ')}`)
  if (starved.length > 0)
    console.log(
      `\nNeither server nor client had a full core (other processes competed; trust CPU µs/req over req/s): ${starved.join(', ')}`,
    )
}

async function main(): Promise<void> {
  const stop = hardStop(
    'bench:http',
    QUICK ? 120_000 : Math.max(900_000, CONFIG.rounds * CONFIG.frameworks.length * 60_000),
  )
  applyNice()
  const machine = describeMachine()
  console.log(machineHeader(machine))
  console.log(
    `bench:http: ${CONFIG.rounds} round(s) × ${CONFIG.frameworks.length} frameworks × 4 servers (5 for node:http and Fastify) in fresh processes, ` +
      `${CONFIG.warmupMs} ms warm-up, then ${CONFIG.windows} alternating windows of ${CONFIG.measureMs} ms per path (valid, duplicate, forged), ` +
      `${CONFIG.connections} connections, ` +
      `${CONFIG.bodyBytes} B GitHub push, a new delivery id per request`,
  )
  const started = performance.now()
  const pools = await buildPools()
  const runs: Run[] = []
  for (let round = 0; round < CONFIG.rounds; round++) {
    for (const framework of CONFIG.frameworks) {
      runs.push(...(await measureFramework(round, framework, pools)))
    }
    process.stderr.write(
      `round ${round + 1}/${CONFIG.rounds} done (${fixed((performance.now() - started) / 1000, 0)} s)\n`,
    )
  }
  const summaries = CONFIG.frameworks.map((framework) => summarise(framework, runs))
  printThroughput(summaries)
  printCpu(summaries)
  printPaths(summaries, runs)
  const file = writeResults('http', machine, {
    config: CONFIG,
    target: TARGET,
    servers: Object.fromEntries(KINDS.map((kind) => [kind, SERVER_LABELS[kind]])),
    summaries,
    runs,
  })
  console.log(`\n${fixed((performance.now() - started) / 1000, 0)} s, ${loadNow()}; results in ${file}`)
  clearTimeout(stop)
}

await main()
