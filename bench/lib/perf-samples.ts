/**
 * Reading `perf record -g` samples of a node process that ran with
 * `--perf-basic-prof` (so JIT code has names): the stacks from `perf script`,
 * then CPU per request by area, by function (self and inclusive) and by
 * symbol. Unlike V8's own profiler, these samples include the kernel (the
 * loopback writes and wake-ups that are most of a small HTTP answer's cost)
 * and the time V8 and node spend in C++.
 *
 * @module
 */
import { execFileSync } from 'node:child_process'

export interface Frame {
  symbol: string
  dso: string
}

/** One sample's stack, innermost frame first. */
export type Stack = Frame[]

/** The stacks of a perf.data file by process id (`perf script -F pid,ip,sym,dso`). */
export function readStacks(file: string): Map<number, Stack[]> {
  const text = execFileSync('perf', ['script', '-i', file, '-F', 'pid,ip,sym,dso'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const byPid = new Map<number, Stack[]>()
  let current: Stack = []
  let pid = 0
  const flush = (): void => {
    if (current.length === 0) return
    const stacks = byPid.get(pid) ?? []
    stacks.push(current)
    byPid.set(pid, stacks)
    current = []
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') {
      flush()
      continue
    }
    // A sample starts with its pid alone on a line, then one "<ip> <symbol> (<dso>)" line per frame.
    if (/^\d+$/.test(line)) {
      flush()
      pid = Number(line)
      continue
    }
    const match = /^[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)$/.exec(line)
    if (match) current.push({ symbol: match[1]!, dso: match[2]! })
  }
  flush()
  return byPid
}

/** A readable name: JIT frames lose their `file://` prefix and column; other symbols stay as they are. */
export function frameName(frame: Frame, distDir: string): string {
  return frame.symbol
    .replace(`file://${distDir}/`, 'dist/')
    .replace(/file:\/\/\S*\/bench-build\/\d+\/server-child\.mjs/, 'bench')
    .replace(/^JS:[*~^]?/, 'JS:')
    .replace(/:(\d+):\d+$/, ':$1')
}

export type Area = 'kernel' | 'GC' | 'hookguard' | 'framework and node' | 'bench harness' | 'V8 and native'

/** Where a sample's CPU went: the innermost JS frame's owner, unless the kernel or the GC ran. */
export function areaOf(stack: Stack, distDir: string): Area {
  if (stack[0]?.dso.includes('kernel')) return 'kernel'
  for (const frame of stack) {
    if (
      /Heap::(CollectGarbage|PerformGarbageCollection)|ScavengerCollector|MarkCompactCollector|ConcurrentMarking|Sweeper::/.test(
        frame.symbol,
      )
    )
      return 'GC'
    if (!frame.symbol.startsWith('JS:')) continue
    if (frame.symbol.includes(`file://${distDir}/`)) return 'hookguard'
    if (frame.symbol.includes('server-child.mjs')) return 'bench harness'
    return 'framework and node'
  }
  return 'V8 and native'
}

export interface SampleSummary {
  /** µs of CPU per request that one sample stands for. */
  usPerSample: number
  totalUs: number
  byArea: Map<Area, number>
  /** Self time by frame name. */
  self: Map<string, number>
  /** Inclusive time of JS functions (a function counted once per sample, however deep it recurses). */
  inclusive: Map<string, number>
}

export function summarise(stacks: Stack[], requests: number, frequencyHz: number, distDir: string): SampleSummary {
  const usPerSample = 1e6 / frequencyHz / Math.max(1, requests)
  const byArea = new Map<Area, number>()
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const add = <K>(map: Map<K, number>, key: K): void => void map.set(key, (map.get(key) ?? 0) + usPerSample)
  for (const stack of stacks) {
    if (stack.length === 0) continue
    add(byArea, areaOf(stack, distDir))
    add(self, frameName(stack[0]!, distDir))
    const seen = new Set<string>()
    for (const frame of stack) {
      if (!frame.symbol.startsWith('JS:')) continue
      const name = frameName(frame, distDir)
      if (seen.has(name)) continue
      seen.add(name)
      add(inclusive, name)
    }
  }
  return { usPerSample, totalUs: stacks.length * usPerSample, byArea, self, inclusive }
}
