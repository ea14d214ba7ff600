/**
 * CPU profile of each adapter's hookguard server under the bench:http load
 * (`node --cpu-prof` in the server child; GitHub provider, memory store,
 * memoryQueue, a new delivery id per request), then the top functions by
 * self time and the self time per area. Profiles go to .tmp/profiles/
 * (git-ignored); read one again with bench/cpuprofile-top.ts.
 *
 *   npm run bench:profile
 *   BENCH_FRAMEWORKS=hono BENCH_PROFILE_KINDS=hookguard,inline npm run bench:profile
 *   BENCH_NODE_FLAGS=--single-threaded-gc npm run bench:profile   # GC helper threads' work on the main thread
 */
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { frameworkLabel, type FrameworkName } from './lib/apps/index.js'
import type { ServerKind } from './lib/apps/types.js'
import { printSummary, readProfile, summariseProfile, type ProfileSummary } from './lib/cpuprofile.js'
import { forged, GITHUB_PATH, signedPool } from './lib/deliveries.js'
import { DIST } from './lib/dist.js'
import { BODY_BYTES, frameworksFromEnv, kindsFromEnv } from './lib/env.js'
import { rawRequest, RequestCursor, runLoad } from './lib/load.js'
import { applyNice, describeMachine, loadNow, machineHeader } from './lib/machine.js'
import { fixed, hardStop, rate, TMP, writeResults } from './lib/report.js'
import { startServer } from './lib/server.js'

const CONFIG = {
  warmupMs: Number(process.env.BENCH_WARMUP_MS ?? 1000),
  profileMs: Number(process.env.BENCH_PROFILE_MS ?? 4000),
  /** Sampling interval, µs (node's default is 1000). */
  intervalUs: 250,
  connections: 32,
  bodyBytes: BODY_BYTES,
  frameworks: frameworksFromEnv(),
  /**
   * Which deliveries: `valid` (200, a new id each), `duplicate` (one valid delivery resent: 200, marked
   * duplicate) or `forged` (the last hex digit of the signature changed, 401).
   */
  path: (process.env.BENCH_PROFILE_PATH ?? 'valid') as 'valid' | 'duplicate' | 'forged',
  /** Extra node flags for the server, e.g. `--single-threaded-gc` to see all GC work on the main thread. */
  nodeFlags: process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [],
  kinds: kindsFromEnv('BENCH_PROFILE_KINDS', ['hookguard']),
}
const DIR = resolve(TMP, 'profiles')

/**
 * The main thread's profile among those the child wrote (tsx's module-hooks
 * thread writes one too): node names them CPU.<date>.<time>.<pid>.<thread>.<n>.
 */
function mainThreadProfile(dir: string, pid: number, target: string): string {
  const main = readdirSync(dir).find((file) => file.includes(`.${pid}.0.`) && file.endsWith('.cpuprofile'))
  if (!main) throw new Error(`bench: no main-thread profile of pid ${pid} in ${dir}`)
  renameSync(resolve(dir, main), target)
  rmSync(dir, { recursive: true, force: true })
  return target
}

interface Profiled {
  file: string
  /** The measured load on the profile's clock; the summary covers only it (not start-up or warm-up). */
  window: [number, number]
  rps: number
  cpuUsPerRequest: number
  /** Requests served in the window. */
  requests: number
}

/** Runs one server under load with --cpu-prof; resolves once the child has exited and written its profile. */
async function profile(framework: FrameworkName, kind: ServerKind, pool: Buffer[]): Promise<Profiled> {
  const dir = resolve(DIR, `${framework}-${kind}.tmp`)
  rmSync(dir, { recursive: true, force: true })
  const flags = ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${CONFIG.intervalUs}`, ...CONFIG.nodeFlags]
  const server = await startServer({ server: 'http', options: { framework, kind } }, { execArgv: flags })
  try {
    const cursor = new RequestCursor(pool)
    const base = { url: server.url, path: GITHUB_PATH, connections: CONFIG.connections, cursor }
    await runLoad({ ...base, durationMs: CONFIG.warmupMs })
    await server.mark()
    const load = await runLoad({ ...base, durationMs: CONFIG.profileMs })
    const usage = await server.report()
    const statuses = Object.entries(load.statuses).map(([code, n]) => `${code}×${n}`)
    process.stderr.write(`profiled ${framework} ${kind}: ${Math.round(load.rps)} req/s, ${statuses.join(' ')}\n`)
    const expected = CONFIG.path === 'forged' ? '401' : '200'
    if (Object.keys(load.statuses).some((code) => code !== expected))
      console.log(
        `\nWARNING: ${framework} ${kind} answered ${statuses.join(' ')}: this profile is not of the ${CONFIG.path} path`,
      )
    await server.stop()
    const file = mainThreadProfile(dir, server.pid, resolve(DIR, `${framework}-${kind}.cpuprofile`))
    // For bench/cpuprofile-top.ts: which build ran, and which part of the profile is the measured load.
    writeFileSync(
      file.replace(/\.cpuprofile$/, '.meta.json'),
      JSON.stringify({ distDir: DIST, window: usage.window, requests: usage.served }),
    )
    const cpuUsPerRequest = usage.cpuUs / Math.max(1, usage.served)
    return { file, window: usage.window, rps: load.rps, cpuUsPerRequest, requests: usage.served }
  } finally {
    await server.stop()
  }
}

async function main(): Promise<void> {
  const stop = hardStop('bench:profile', 300_000)
  applyNice()
  const machine = describeMachine()
  console.log(machineHeader(machine))
  console.log(
    `bench:profile: node --cpu-prof (${CONFIG.intervalUs} µs) of each server over ${CONFIG.warmupMs} ms warm-up + ` +
      `${CONFIG.profileMs} ms load (the summaries cover the measured load only), ${CONFIG.connections} connections`,
  )
  mkdirSync(DIR, { recursive: true })
  const size = Math.ceil((40_000 * (CONFIG.warmupMs + CONFIG.profileMs)) / 1000)
  const deliveries = await signedPool('github', size, CONFIG.bodyBytes)
  const chosen =
    CONFIG.path === 'forged'
      ? deliveries.map(forged)
      : CONFIG.path === 'duplicate'
        ? deliveries.slice(0, 1)
        : deliveries
  const pool = chosen.map((d) => rawRequest(GITHUB_PATH, d))
  const results: Array<Profiled & { framework: FrameworkName; kind: ServerKind; summary: ProfileSummary }> = []
  for (const framework of CONFIG.frameworks) {
    for (const kind of CONFIG.kinds) {
      const profiled = await profile(framework, kind, pool)
      const summary = summariseProfile(readProfile(profiled.file), { distDir: DIST, window: profiled.window })
      const title = `${frameworkLabel(framework)}, ${kind} server, ${rate(profiled.rps)} req/s, ${fixed(profiled.cpuUsPerRequest)} µs CPU/req`
      printSummary(`${title} (${profiled.file})`, summary, profiled.requests)
      results.push({ ...profiled, framework, kind, summary })
    }
  }
  console.log(`\n${loadNow()}; results in ${writeResults('profile', machine, { config: CONFIG, results })}`)
  clearTimeout(stop)
}

await main()
