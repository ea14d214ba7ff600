/**
 * Checks a history of concurrent `advance` calls against what a single,
 * atomic compare-and-set allows. Used by the store conformance suite, and by
 * store tests that race separate processes (give `start`/`end` from one
 * system-wide clock, such as `process.hrtime.bigint()`). Not part of the
 * public entry: the built-in store tests import it directly.
 */
import { expect } from 'vitest'
import type { DedupeStore } from '../types/index.js'

export interface AdvanceCall {
  entity: string
  version: number
  ok: boolean
  /** When the call was made and when its answer arrived, on one clock shared by every caller. */
  start: number
  end: number
}

/** A seeded Fisher–Yates shuffle (xorshift32), so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items]
  let state = seed >>> 0 || 1
  for (let i = out.length - 1; i > 0; i--) {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    const j = (state >>> 0) % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/**
 * Runs caller i's calls one after another on stores[i % stores.length], all
 * callers at once, and records every call on one counter (one process, so
 * "answered before" is exact).
 */
export async function interleave(
  stores: DedupeStore[],
  work: Array<Array<{ entity: string; version: number }>>,
  retentionMs = 60_000,
): Promise<AdvanceCall[]> {
  let clock = 0
  const calls: AdvanceCall[] = []
  await Promise.all(
    work.map(async (list, caller) => {
      const store = stores[caller % stores.length]!
      for (const { entity, version } of list) {
        const start = clock++
        const ok = await store.advance!(entity, version, retentionMs)
        calls.push({ entity, version, ok, start, end: clock++ })
      }
    }),
  )
  return calls
}

/**
 * Per entity: a call that ran (true) never had a version below one recorded by
 * a call answered before it started; a call refused (false) always had a
 * strictly greater version recorded by a call that started before it was
 * answered; the largest version always ran.
 */
export function checkAdvanceHistory(calls: readonly AdvanceCall[], label: string): void {
  const byEntity = new Map<string, AdvanceCall[]>()
  for (const call of calls) byEntity.set(call.entity, [...(byEntity.get(call.entity) ?? []), call])
  for (const [entity, list] of byEntity) {
    const ran = list.filter((call) => call.ok)
    for (const call of list) {
      const where = `${label}, ${entity}, version ${call.version} (${call.ok ? 'ran' : 'refused'})`
      if (call.ok) {
        const earlier = ran.filter((other) => other.end < call.start && other.version > call.version)
        expect(
          earlier.map((other) => other.version),
          `${where}: a newer version was already recorded`,
        ).toEqual([])
      } else {
        const cause = ran.some((other) => other.start < call.end && other.version > call.version)
        expect(cause, `${where}: refused with no newer version recorded`).toBe(true)
      }
    }
    const max = Math.max(...list.map((call) => call.version))
    expect(
      list.filter((call) => call.version === max).every((call) => call.ok),
      `${label}, ${entity}: the largest version ran`,
    ).toBe(true)
  }
}
