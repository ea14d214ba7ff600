/** Small numeric and output helpers shared by the benchmarks. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Machine } from './machine.js'

export const TMP = fileURLToPath(new URL('../../.tmp/', import.meta.url))

export function median(values: number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

/** A Markdown table, so the output can be pasted into the docs as is. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join(' | ') + ' |'
  return [line(header), '| ' + widths.map((w) => '-'.repeat(w)).join(' | ') + ' |', ...rows.map(line)].join('\n')
}

export const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–')

export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '–'
  return perSecond >= 1e6
    ? `${(perSecond / 1e6).toFixed(2)} M`
    : perSecond >= 1e4
      ? `${(perSecond / 1e3).toFixed(1)} k`
      : perSecond.toFixed(0)
}

export function bytes(n: number): string {
  if (!Number.isFinite(n)) return '–'
  return n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${Math.round(n)} B`
}

/** Writes `.tmp/bench/<name>.json` (git-ignored) for the docs' charts; returns the path. */
export function writeResults(name: string, machine: Machine, results: unknown): string {
  const dir = resolve(TMP, 'bench')
  mkdirSync(dir, { recursive: true })
  const file = resolve(dir, `${name}.json`)
  writeFileSync(file, JSON.stringify({ bench: name, machine, results }, null, 2) + '\n')
  return file
}

/** Ends the process if a benchmark overruns, so a hang never leaves servers behind. */
export function hardStop(name: string, ms: number): NodeJS.Timeout {
  const timer = setTimeout(() => {
    console.error(`${name}: hard stop after ${Math.round(ms / 1000)} s`)
    process.exit(2)
  }, ms)
  timer.unref()
  return timer
}
