/**
 * A small benchmark harness: warm up, then several interleaved rounds per
 * case, and the median ops/s. Interleaving spreads machine noise (other
 * processes, CPU frequency) evenly over the cases being compared.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export type BenchFn = () => unknown

export interface BenchOptions {
  /** Warm-up time per case, ms. */
  warmupMs: number
  /** Measured time per case per round, ms. */
  roundMs: number
  /** Rounds; the median is reported. */
  rounds: number
}

/** Runs `fn` repeatedly for about `ms` milliseconds; returns ops/s. Awaits only when `fn` returns a promise. */
async function measure(fn: BenchFn, ms: number): Promise<number> {
  // Batches keep the clock reads out of the measured cost.
  let batch = 1
  let ops = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) {
      const result = fn()
      if (result instanceof Promise) await result
    }
    ops += batch
    elapsed = performance.now() - start
    if (elapsed < ms / 20) batch *= 2
  }
  return (ops * 1000) / elapsed
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Median ops/s of every case, measured in interleaved rounds. */
export async function runCases(cases: Record<string, BenchFn>, options: BenchOptions): Promise<Record<string, number>> {
  const names = Object.keys(cases)
  for (const name of names) await measure(cases[name]!, options.warmupMs)
  const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]))
  for (let round = 0; round < options.rounds; round++) {
    // Alternate the order each round so no case always runs right after another's garbage.
    const order = round % 2 === 0 ? names : [...names].reverse()
    for (const name of order) samples[name]!.push(await measure(cases[name]!, options.roundMs))
  }
  return Object.fromEntries(names.map((name) => [name, median(samples[name]!)]))
}

export function formatOps(ops: number): string {
  return ops >= 1e6 ? `${(ops / 1e6).toFixed(2)} M` : ops >= 1e3 ? `${(ops / 1e3).toFixed(1)} k` : ops.toFixed(0)
}

/** A Markdown table, so the output can be pasted into the docs as is. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |'
  return [line(header), '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |', ...rows.map(line)].join('\n')
}

/**
 * Bytes allocated on the JS heap per call of a synchronous `fn`: heap growth
 * over `n` calls right after a full GC. A collection during the window can
 * only shrink the figure, so the largest of several trials is kept.
 */
export function allocatedPerCall(fn: BenchFn, n = 2000, trials = 5): number {
  const gc = collector()
  let worst = 0
  for (let trial = 0; trial < trials; trial++) {
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < n; i++) fn()
    worst = Math.max(worst, (process.memoryUsage().heapUsed - before) / n)
  }
  return worst
}

let cachedGc: (() => void) | undefined
function collector(): () => void {
  if (cachedGc) return cachedGc
  const existing = (globalThis as { gc?: () => void }).gc
  if (existing) return (cachedGc = existing)
  // --expose-gc at run time, then fetch gc() from a fresh context.
  setFlagsFromString('--expose-gc')
  cachedGc = runInNewContext('gc') as () => void
  return cachedGc
}

export function formatBytes(bytes: number): string {
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${Math.round(bytes)} B`
}
