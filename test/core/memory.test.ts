import { describe, expect, it, vi } from 'vitest'
import { memoryQueue, memoryStore, type QueuedEvent, type WebhookEvent } from '../../src/index.js'
import { fixedClock } from '../../src/testing.js'

const event = (key: string): QueuedEvent => ({
  id: key,
  key,
  provider: 'stripe',
  receivedAt: 0,
  payload: {},
  headers: {},
})

describe('memoryStore', () => {
  it('follows an injected clock for leases and retention', async () => {
    const clock = fixedClock(1_000_000)
    const store = memoryStore({ now: clock })
    const first = await store.reserve('k', 30_000)
    clock.advance(29_999)
    expect((await store.reserve('k', 30_000)).status).toBe('in_flight')
    clock.advance(2)
    const second = await store.reserve('k', 30_000)
    expect(second.status).toBe('reserved')
    expect(first.status === 'reserved' && (await store.complete('k', first.token, 1000))).toBe(false)
    if (second.status !== 'reserved') throw new Error('unreachable')
    expect(await store.complete('k', second.token, 600_000)).toBe(true)
    clock.advance(599_999)
    expect((await store.reserve('k', 30_000)).status).toBe('duplicate')
    clock.advance(2)
    expect((await store.reserve('k', 30_000)).status).toBe('reserved')
  })

  it('reports retry-after for keys in flight', async () => {
    const clock = fixedClock(0)
    const store = memoryStore({ now: clock })
    await store.reserve('k', 30_000)
    clock.advance(10_000)
    expect(await store.reserve('k', 30_000)).toEqual({ status: 'in_flight', retryAfterMs: 20_000 })
  })

  it('counts and warns once when a key is evicted before its retention ends', async () => {
    const warning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    try {
      const store = memoryStore({ maxKeys: 2 })
      for (const key of ['a', 'b', 'c', 'd']) {
        const r = await store.reserve(key, 30_000)
        if (r.status === 'reserved') await store.complete(key, r.token, 600_000)
      }
      expect(store.stats()).toEqual({ size: 2, evictedUnexpired: 2 })
      expect(warning).toHaveBeenCalledTimes(1)
      expect(String(warning.mock.calls[0]![0])).toMatch(/Raise maxKeys/)
      // The evicted key would be accepted again: that is exactly what the warning is about.
      expect((await store.reserve('a', 30_000)).status).toBe('reserved')
    } finally {
      warning.mockRestore()
    }
  })

  it('refuses an unbounded or invalid size', () => {
    for (const maxKeys of [0, -1, 1.5, Infinity, Number.NaN]) expect(() => memoryStore({ maxKeys })).toThrow(TypeError)
  })
})

describe('memoryQueue', () => {
  it('retries with exponential backoff and jitter, then dead-letters', async () => {
    const retries: number[] = []
    const dead: WebhookEvent[] = []
    const queue = memoryQueue({
      attempts: 4,
      backoffMs: 10,
      maxBackoffMs: 25,
      onRetry: (_e, _err, delay) => retries.push(delay),
      onDeadLetter: (e) => dead.push(e),
    })
    queue.process(async () => {
      throw new Error('nope')
    })
    await queue.enqueue(event('k1'))
    await queue.idle()
    expect(retries).toHaveLength(3)
    expect(retries[0]).toBeGreaterThanOrEqual(5)
    expect(retries[0]).toBeLessThanOrEqual(10)
    expect(retries[1]).toBeGreaterThanOrEqual(10)
    expect(retries[1]).toBeLessThanOrEqual(20)
    expect(retries[2]).toBeGreaterThanOrEqual(12)
    expect(retries[2]).toBeLessThanOrEqual(25)
    expect(dead.map((e) => e.attempt)).toEqual([4])
    expect(queue.deadLetters()).toHaveLength(1)
    expect(queue.stats()).toMatchObject({ deadLettered: 1, retried: 3, completed: 0 })
  })

  it('respects concurrency', async () => {
    const queue = memoryQueue({ concurrency: 2 })
    let running = 0
    let peak = 0
    queue.process(async () => {
      running++
      peak = Math.max(peak, running)
      await new Promise((resolve) => setTimeout(resolve, 20))
      running--
    })
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => queue.enqueue(event(k))))
    await queue.idle()
    expect(peak).toBe(2)
    expect(queue.stats().completed).toBe(5)
  })

  it('close() runs waiting retries at once instead of after their delay, and refuses new events', async () => {
    const attempts: number[] = []
    const queue = memoryQueue({ attempts: 3, backoffMs: 60_000, maxBackoffMs: 60_000 })
    queue.process(async (e) => {
      attempts.push(e.attempt)
      if (e.attempt === 1) throw new Error('first fails')
    })
    await queue.enqueue(event('k'))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(queue.stats().retrying).toBe(1)
    await queue.close()
    expect(attempts).toEqual([1, 2])
    await expect(queue.enqueue(event('later'))).rejects.toThrow(/closed/)
  })

  it('a throwing hook does not stop the worker', async () => {
    const queue = memoryQueue({
      onSuccess: () => {
        throw new Error('hook broke')
      },
    })
    const seen: string[] = []
    queue.process(async (e) => void seen.push(e.key))
    await queue.enqueue(event('a'))
    await queue.enqueue(event('b'))
    await queue.idle()
    expect(seen).toEqual(['a', 'b'])
  })

  it('refuses bad options and a second handler', () => {
    expect(() => memoryQueue({ attempts: 0 })).toThrow(TypeError)
    expect(() => memoryQueue({ concurrency: 0 })).toThrow(TypeError)
    expect(() => memoryQueue({ backoffMs: 10, maxBackoffMs: 5 })).toThrow(TypeError)
    const queue = memoryQueue()
    queue.process(() => {})
    expect(() => queue.process(() => {})).toThrow(/already/)
  })
})
