/**
 * What the numbers were measured on, printed above every table and stored
 * with every result: ratios travel between machines, absolute rates do not.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { arch, cpus, freemem, loadavg, platform, release, setPriority, totalmem } from 'node:os'
import { DIST } from './dist.js'

export interface Machine {
  cpu: string
  cores: number
  node: string
  v8: string
  os: string
  memoryGiB: number
  freeGiB: number
  /** 1, 5 and 15 minute load averages when the run started. */
  loadavg: number[]
  /** The hookguard build that was measured. */
  dist: string
  /** `git describe` of the working tree, when there is one. */
  commit?: string
  startedAt: string
}

function gitDescribe(): string | undefined {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim()
  } catch {
    return undefined
  }
}

/** The CPU model from /proc/cpuinfo where os.cpus() only says "unknown". */
function cpuModel(): string {
  const model = cpus()[0]?.model?.trim()
  if (model && model !== 'unknown') return model
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

export function describeMachine(): Machine {
  const gib = (bytes: number): number => Math.round((bytes / 2 ** 30) * 10) / 10
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${release()} ${arch()}`,
    memoryGiB: gib(totalmem()),
    freeGiB: gib(freemem()),
    loadavg: loadavg().map((load) => Math.round(load * 100) / 100),
    dist: DIST,
    commit: gitDescribe(),
    startedAt: new Date().toISOString(),
  }
}

/**
 * BENCH_NICE=-10 runs the benchmark's processes (this one and each server
 * child) at that priority, above other work on a shared machine. Opt-in: it
 * takes CPU from everyone else for the length of the run. Needs root for < 0.
 */
export function applyNice(pid = 0): void {
  const nice = process.env.BENCH_NICE
  if (nice === undefined || nice === '') return
  try {
    setPriority(pid, Number(nice))
  } catch (error) {
    console.warn(`BENCH_NICE=${nice} not applied: ${(error as Error).message}`)
  }
}

/** The load average now, for the end of a run: a busy machine makes wall-clock rates noisy. */
export function loadNow(): string {
  return `load average at the end ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' / ')} (${cpus().length} cores)`
}

/** Two lines for the top of a benchmark's output. */
export function machineHeader(machine: Machine): string {
  return [
    `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB (${machine.freeGiB} free), ${machine.os}`,
    `node ${machine.node} (V8 ${machine.v8}), load average ${machine.loadavg.join(' / ')}` +
      `${process.env.BENCH_NICE ? ` (benchmark at nice ${process.env.BENCH_NICE})` : ''}, ` +
      `hookguard ${machine.commit ?? '(no git)'} from ${machine.dist}`,
  ].join('\n')
}
