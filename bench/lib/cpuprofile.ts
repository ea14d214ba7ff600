/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function
 * and per area (hookguard, a framework package, node internals, GC …).
 * Locations inside the build are mapped back to the sources through the
 * build's source maps, so `dist/chunk-X.js:812` reads `src/receiver.ts:140`.
 */
import { existsSync, readFileSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { fixed, table } from './report.js'

interface CallFrame {
  functionName: string
  url: string
  /** 0-based. */
  lineNumber: number
  columnNumber: number
}

interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  /** µs since the previous sample. */
  timeDeltas: number[]
}

export interface FunctionTime {
  name: string
  /** file:line (1-based), mapped to the sources where a source map says so. */
  location: string
  area: string
  /** Self time, or for `underHookguard` the time attributed to the function. */
  selfMs: number
  /** Share of the busy (non-idle) time. */
  share: number
}

export interface ProfileSummary {
  /** Sampled time, ms, idle included. */
  totalMs: number
  busyMs: number
  /** Functions by self time. */
  top: FunctionTime[]
  /**
   * hookguard's functions by the time spent in them and in the non-hookguard
   * code they call (node:crypto, JSON.parse, buffers …) down to the next
   * hookguard frame: what each step of the pipeline costs.
   */
  underHookguard: FunctionTime[]
  areas: Array<{ area: string; selfMs: number; share: number }>
}

const HOOKGUARD = 'hookguard (dist)'
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const maps = new Map<string, SourceMap | undefined>()

function sourceMapFor(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`
    maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined)
  }
  return maps.get(file)
}

function shortPath(file: string): string {
  const rel = relative(ROOT, file)
  return rel.startsWith('..') ? file : rel
}

/** file:line of a frame, through the source map when there is one. */
function locate(frame: CallFrame): string {
  if (!frame.url) return ''
  if (!frame.url.startsWith('file://')) return `${frame.url}:${frame.lineNumber + 1}`
  const file = fileURLToPath(frame.url)
  const entry = sourceMapFor(file)?.findEntry(frame.lineNumber, frame.columnNumber) as
    { originalSource?: string; originalLine?: number } | undefined
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined) {
    const source = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : resolve(dirname(file), entry.originalSource)
    return `${shortPath(source)}:${entry.originalLine + 1}`
  }
  return `${shortPath(file)}:${frame.lineNumber + 1}`
}

/** Which part of the process a frame belongs to. */
export function areaOf(frame: CallFrame, distDir: string): string {
  const { url, functionName } = frame
  if (!url) return functionName.startsWith('(') ? functionName : 'V8 builtins / native'
  if (url.startsWith('node:')) return 'node internals'
  if (!url.startsWith('file://')) return 'other'
  const file = fileURLToPath(url)
  if (file.startsWith(distDir)) return HOOKGUARD
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)
  if (pkg) return pkg[1]!
  if (file.startsWith(resolve(ROOT, 'bench')) || file.startsWith(resolve(ROOT, '.tmp/bench-build')))
    return 'bench harness'
  return shortPath(file)
}

/** When each sample was taken, and its self time: the time until the next sample (the last one: until the end). */
function sampleTimes(profile: CpuProfile): { times: Float64Array; durations: Float64Array } {
  const n = profile.samples.length
  const times = new Float64Array(n)
  let at = profile.startTime
  for (let i = 0; i < n; i++) times[i] = at += profile.timeDeltas[i]!
  const durations = new Float64Array(n)
  for (let i = 0; i < n; i++) durations[i] = (i + 1 < n ? times[i + 1]! : profile.endTime) - times[i]!
  return { times, durations }
}

export interface SummaryOptions {
  /** The build's folder: frames from it are "hookguard". */
  distDir: string
  /** Functions listed. Default 15. */
  top?: number
  /** Only samples inside [from, to] (µs, the profile's monotonic clock), e.g. the measured load. */
  window?: [number, number]
}

interface Sample {
  node: number
  us: number
}

/** The samples inside the window, idle ones left out. */
function busySamples(profile: CpuProfile, byNode: Map<number, CallFrame>, window: [number, number]): Sample[] {
  const { times, durations } = sampleTimes(profile)
  const samples: Sample[] = []
  profile.samples.forEach((node, i) => {
    if (times[i]! < window[0] || times[i]! > window[1]) return
    if (byNode.get(node)!.functionName === '(idle)') return
    samples.push({ node, us: durations[i]! })
  })
  return samples
}

const frameKey = (frame: CallFrame): string =>
  `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`

/** Sums `us` per function of the frame `pick` chooses for each sample (undefined: left out). */
function perFunction(
  samples: Sample[],
  pick: (node: number) => CallFrame | undefined,
): Array<{ frame: CallFrame; us: number }> {
  const sums = new Map<string, { frame: CallFrame; us: number }>()
  for (const { node, us } of samples) {
    const frame = pick(node)
    if (!frame) continue
    const key = frameKey(frame)
    const entry = sums.get(key) ?? sums.set(key, { frame, us: 0 }).get(key)!
    entry.us += us
  }
  return [...sums.values()].sort((a, b) => b.us - a.us)
}

/** For every node, the nearest frame (itself included) that is hookguard's own code. */
function nearestHookguardFrame(profile: CpuProfile, distDir: string): (node: number) => CallFrame | undefined {
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const byNode = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const memo = new Map<number, CallFrame | undefined>()
  const find = (id: number | undefined): CallFrame | undefined => {
    if (id === undefined) return undefined
    if (memo.has(id)) return memo.get(id)
    const frame = byNode.get(id)!
    const found = areaOf(frame, distDir) === HOOKGUARD ? frame : find(parent.get(id))
    memo.set(id, found)
    return found
  }
  return find
}

export function summariseProfile(profile: CpuProfile, options: SummaryOptions): ProfileSummary {
  const { distDir, top = 15, window = [-Infinity, Infinity] } = options
  const byNode = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const samples = busySamples(profile, byNode, window)
  const busyUs = Math.max(
    1,
    samples.reduce((sum, { us }) => sum + us, 0),
  )
  const totalUs = Math.min(window[1], profile.endTime) - Math.max(window[0], profile.startTime)
  const row = ({ frame, us }: { frame: CallFrame; us: number }): FunctionTime => ({
    name: frame.functionName || '(anonymous)',
    location: locate(frame),
    area: areaOf(frame, distDir),
    selfMs: us / 1000,
    share: us / busyUs,
  })
  const self = perFunction(samples, (node) => byNode.get(node))
  const areas = new Map<string, number>()
  for (const { frame, us } of self) areas.set(areaOf(frame, distDir), (areas.get(areaOf(frame, distDir)) ?? 0) + us)
  return {
    totalMs: totalUs / 1000,
    busyMs: busyUs / 1000,
    top: self.slice(0, top).map(row),
    underHookguard: perFunction(samples, nearestHookguardFrame(profile, distDir)).slice(0, top).map(row),
    areas: [...areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([area, us]) => ({ area, selfMs: us / 1000, share: us / busyUs })),
  }
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
}

/**
 * The top functions by self time, hookguard's functions with what they call,
 * and the areas, as Markdown tables; with `requests` (served in the window)
 * every row also shows µs per request.
 */
export function printSummary(title: string, summary: ProfileSummary, requests?: number): void {
  const pct = (share: number): string => `${fixed(share * 100)} %`
  const perRequest = (ms: number): string[] => (requests ? [fixed((ms * 1000) / requests, 1)] : [])
  const usColumn = requests ? ['µs/req'] : []
  const functions = (rows: FunctionTime[], withArea: boolean): string =>
    table(
      ['#', 'ms', ...usColumn, '%', 'function', 'location', ...(withArea ? ['area'] : [])],
      rows.map((r, i) => [
        String(i + 1),
        fixed(r.selfMs),
        ...perRequest(r.selfMs),
        pct(r.share),
        r.name,
        r.location,
        ...(withArea ? [r.area] : []),
      ]),
    )
  const busy = `${fixed(summary.busyMs, 0)} ms busy of ${fixed(summary.totalMs, 0)} ms sampled`
  console.log(`\n${title}: ${busy}${requests ? `, ${requests} requests` : ''}\n`)
  console.log('Top functions by self time:\n')
  console.log(functions(summary.top, true))
  console.log("\nhookguard's functions, each with the non-hookguard code it calls (crypto, JSON, buffers …):\n")
  console.log(functions(summary.underHookguard.slice(0, 10), false))
  console.log('\nSelf time by area:\n')
  console.log(
    table(
      ['area', 'self ms', ...usColumn, 'self %'],
      summary.areas.slice(0, 10).map((a) => [a.area, fixed(a.selfMs), ...perRequest(a.selfMs), pct(a.share)]),
    ),
  )
}
