/**
 * The WebhookQueue conformance suite. Every built-in queue runs it, and so
 * can yours: `make` must return a queue whose worker makes 3 attempts with
 * short backoff (≤ 100 ms) and calls `hooks.onDeadLetter` after the last.
 */
import { describe, expect, it } from 'vitest'
import type { QueuedEvent, WebhookEvent, WebhookQueue } from '../../src/types/index.js'

export interface QueueConformanceHooks {
  onDeadLetter(event: WebhookEvent, error: unknown): void
}

export interface QueueConformanceOptions {
  /** A fresh, empty queue: 3 attempts, backoff ≤ 100 ms, `hooks.onDeadLetter` wired. */
  make(hooks: QueueConformanceHooks): WebhookQueue | Promise<WebhookQueue>
  /** Cleans up after `close()` (drop tables, delete keys). */
  destroy?(queue: WebhookQueue): Promise<void> | void
}

type Run = { event: WebhookEvent; attempt: number }

function sampleEvent(key: string, extra: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    id: key.split(':').pop()!,
    key,
    provider: 'stripe',
    type: 'payment_intent.succeeded',
    timestamp: 1_700_000_000,
    receivedAt: 1_700_000_000_123,
    payload: { id: key, nested: { list: [1, 'two', null, true], text: 'é💥\u0000' } },
    headers: { 'content-type': 'application/json', 'stripe-signature': '[redacted]' },
    ...extra,
  }
}

async function waitFor(check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the worker')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export function describeQueueConformance(title: string, options: QueueConformanceOptions): void {
  describe(`WebhookQueue conformance: ${title}`, () => {
    async function withQueue(
      fn: (queue: WebhookQueue, dead: Array<{ event: WebhookEvent; error: unknown }>) => Promise<void>,
    ): Promise<void> {
      const dead: Array<{ event: WebhookEvent; error: unknown }> = []
      const queue = await options.make({ onDeadLetter: (event, error) => dead.push({ event, error }) })
      try {
        await fn(queue, dead)
      } finally {
        await queue.close?.()
        await options.destroy?.(queue)
      }
    }

    it('delivers the event unchanged to the handler, with attempt 1', () =>
      withQueue(async (queue) => {
        const runs: Run[] = []
        const event = sampleEvent('stripe:default:evt_same')
        await queue.enqueue(event)
        await queue.process!(async (e) => void runs.push({ event: e, attempt: e.attempt }))
        await waitFor(() => runs.length === 1)
        expect(runs[0]!.event).toEqual({ ...event, attempt: 1 })
      }))

    it('enqueue is idempotent by key: the handler runs once per key', () =>
      withQueue(async (queue) => {
        const seen: string[] = []
        await queue.enqueue(sampleEvent('k:dup'))
        await queue.enqueue(sampleEvent('k:dup'))
        await queue.process!(async (e) => void seen.push(e.key))
        await waitFor(() => seen.length >= 1)
        await queue.enqueue(sampleEvent('k:dup'))
        await queue.enqueue(sampleEvent('k:other'))
        await waitFor(() => seen.includes('k:other'))
        await new Promise((resolve) => setTimeout(resolve, 200))
        expect(seen.filter((k) => k === 'k:dup')).toHaveLength(1)
      }))

    it('retries a failing handler with increasing attempt numbers', () =>
      withQueue(async (queue, dead) => {
        const attempts: number[] = []
        await queue.process!(async (e) => {
          attempts.push(e.attempt)
          if (e.attempt < 3) throw new Error('flaky')
        })
        await queue.enqueue(sampleEvent('k:flaky'))
        await waitFor(() => attempts.length === 3)
        await new Promise((resolve) => setTimeout(resolve, 200))
        expect(attempts).toEqual([1, 2, 3])
        expect(dead).toHaveLength(0)
      }))

    it('dead-letters after the last attempt and stops retrying', () =>
      withQueue(async (queue, dead) => {
        let runs = 0
        await queue.process!(async () => {
          runs++
          throw new Error('always fails')
        })
        await queue.enqueue(sampleEvent('k:dead'))
        await waitFor(() => dead.length === 1)
        await new Promise((resolve) => setTimeout(resolve, 300))
        expect(runs).toBe(3)
        expect(dead[0]!.event.key).toBe('k:dead')
        expect(dead[0]!.event.attempt).toBe(3)
        expect(String((dead[0]!.error as Error)?.message ?? dead[0]!.error)).toContain('always fails')
      }))

    it('handles many distinct events exactly once each', () =>
      withQueue(async (queue) => {
        const counts = new Map<string, number>()
        await queue.process!(async (e) => void counts.set(e.key, (counts.get(e.key) ?? 0) + 1))
        await Promise.all(Array.from({ length: 100 }, (_, i) => queue.enqueue(sampleEvent(`k:many:${i}`))))
        await waitFor(() => counts.size === 100)
        await new Promise((resolve) => setTimeout(resolve, 200))
        expect([...counts.values()].every((n) => n === 1)).toBe(true)
      }))

    it('close() waits for running handlers to finish', () =>
      withQueue(async (queue) => {
        let finished = 0
        let started = 0
        await queue.process!(async () => {
          started++
          await new Promise((resolve) => setTimeout(resolve, 150))
          finished++
        })
        await queue.enqueue(sampleEvent('k:drain'))
        await waitFor(() => started === 1)
        await queue.close?.()
        expect(finished).toBe(1)
      }))
  })
}
