import { describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../src/index.js'
import { fixedClock } from '../../src/testing.js'

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

  it('counts and warns once through the logger when a key is evicted before its retention ends', async () => {
    const warnings: Array<[Record<string, unknown>, string]> = []
    const logger = {
      warn: (fields: Record<string, unknown>, message: string) => void warnings.push([fields, message]),
      error: () => {},
    }
    const store = memoryStore({ maxKeys: 2, logger })
    for (const key of ['a', 'b', 'c', 'd']) {
      const r = await store.reserve(key, 30_000)
      if (r.status === 'reserved') await store.complete(key, r.token, 600_000)
    }
    expect(store.stats()).toEqual({ size: 2, evictedUnexpired: 2 })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]![0]).toEqual({ maxKeys: 2, evictedUnexpired: 1 })
    expect(warnings[0]![1]).toMatch(/Raise maxKeys/)
    // The evicted key would be accepted again: that is exactly what the warning is about.
    expect((await store.reserve('a', 30_000)).status).toBe('reserved')
  })

  it('refuses an unbounded or invalid size', () => {
    for (const maxKeys of [0, -1, 1.5, Infinity, Number.NaN]) expect(() => memoryStore({ maxKeys })).toThrow(TypeError)
  })
})
