/**
 * Shared by the events tests: a metrics object that counts handler results
 * (the WebhookMetrics contract, nothing mocked away from the worker), a
 * seeded shuffle, and polling.
 */
import type { HandlerResult, WebhookMetrics } from '../../src/index.js'

export interface CountingMetrics extends WebhookMetrics {
  /** Handler results so far: success, stale, ignored … */
  readonly runs: Record<string, number>
  /** Delivery outcomes so far: accepted, ignored, duplicate … */
  readonly deliveries: Record<string, number>
}

export function countingMetrics(): CountingMetrics {
  const runs: Record<string, number> = {}
  const deliveries: Record<string, number> = {}
  return {
    runs,
    deliveries,
    delivery(outcome) {
      deliveries[outcome.kind] = (deliveries[outcome.kind] ?? 0) + 1
    },
    handlerRun(_event, result: HandlerResult) {
      runs[result] = (runs[result] ?? 0) + 1
    },
    handlerDuration() {},
    queueLag() {},
    watchQueue() {},
  }
}

/** A small seeded generator (mulberry32), so a failing order can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
