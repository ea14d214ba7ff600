import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/index.js'
import { fixedClock } from '../../src/testing.js'
import { ModelStore } from './memory-model.js'

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

  it('forget and advance follow the injected clock', async () => {
    const clock = fixedClock(5_000_000)
    const store = memoryStore({ now: clock })
    const token = await store.reserve('k', 30_000)
    if (token.status !== 'reserved') throw new Error('expected reserved')
    await store.complete('k', token.token, 1000)
    clock.advance(999)
    expect(await store.advance('e', 10, 1000)).toBe(true)
    clock.advance(999)
    expect(await store.advance('e', 9, 1000)).toBe(false)
    expect(await store.forget('k')).toBe(false) // its retention ended at +1000
    clock.advance(2)
    expect(await store.advance('e', 9, 1000)).toBe(true)
    expect(await store.advance('e', 8, 1000)).toBe(false)
  })

  it('keeps the most recently used keys when full, and an evicted reservation loses its token', async () => {
    const store = memoryStore({ maxKeys: 2, logger: false })
    const a = await store.reserve('a', 30_000)
    const b = await store.reserve('b', 30_000)
    if (a.status !== 'reserved' || b.status !== 'reserved') throw new Error('expected reserved')
    expect(await store.complete('a', a.token, 60_000)).toBe(true) // a is now the most recent
    await store.reserve('c', 30_000) // evicts b, not a
    expect((await store.reserve('a', 30_000)).status).toBe('duplicate')
    expect(await store.complete('b', b.token, 60_000)).toBe(false)
    expect((await store.reserve('b', 30_000)).status).toBe('reserved') // evicts c
    expect(store.stats()).toEqual({ size: 2, evictedUnexpired: 2 })
  })

  it('completes the key it reserved, not whichever key took that slot since', async () => {
    const store = memoryStore({ maxKeys: 1, logger: false })
    const a = await store.reserve('a', 30_000)
    const b = await store.reserve('b', 30_000) // evicts a; b takes a's slot
    if (a.status !== 'reserved' || b.status !== 'reserved') throw new Error('expected reserved')
    expect(await store.complete('a', a.token, 60_000)).toBe(false)
    expect(await store.complete('b', a.token, 60_000)).toBe(false)
    // An equal key that is another string object, and the token spelled anew.
    expect(await store.complete(['b'].join(''), `${b.token}`.slice(0), 60_000)).toBe(true)
    expect((await store.reserve('b', 30_000)).status).toBe('duplicate')
  })

  it('bounds ordering records by maxKeys too, counting unexpired evictions', async () => {
    const store = memoryStore({ maxKeys: 2, logger: false })
    for (const entity of ['x', 'y', 'z']) expect(await store.advance(entity, 5, 60_000)).toBe(true)
    expect(await store.advance('x', 1, 60_000)).toBe(true) // evicted: forgotten, so it runs
    expect(await store.advance('z', 1, 60_000)).toBe(false)
    expect(store.stats()).toEqual({ size: 0, evictedUnexpired: 2 })
  })

  it('answers exactly like a reference model over 20 000 random operations (eviction, expiry, slot reuse)', async () => {
    const clock = fixedClock(1_000_000)
    const store = memoryStore({ maxKeys: 8, now: clock, logger: false })
    const model = new ModelStore(8, clock)
    const keys = Array.from({ length: 12 }, (_, i) => `stripe:default:evt_${i}`)
    const tokens = new Map<string, string>()
    let state = 0x2545f491
    const random = (below: number): number => {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      return (state >>> 0) % below
    }
    for (let step = 0; step < 20_000; step++) {
      const op = random(6)
      const key = keys[random(keys.length)]!
      const token = random(5) === 0 ? 'not-the-token' : (tokens.get(key) ?? 'none')
      const ms = 1 + random(8) * 500
      const version = random(13)
      const where = `step ${step}: op ${op} on ${key}`
      switch (op) {
        case 0: {
          const real = await store.reserve(key, ms)
          if (real.status === 'reserved') tokens.set(key, real.token)
          expect(real, where).toEqual(model.reserve(key, ms, real.status === 'reserved' ? real.token : ''))
          break
        }
        case 1:
          expect(await store.complete(key, token, ms * 3), where).toBe(model.complete(key, token, ms * 3))
          break
        case 2:
          expect(await store.release(key, token), where).toBe(model.release(key, token))
          break
        case 3:
          expect(await store.forget(key), where).toBe(model.forget(key))
          break
        case 4:
          expect(await store.advance(key, version, ms), where).toBe(model.advance(key, version, ms))
          break
        default:
          clock.advance(random(300))
      }
      expect(store.stats(), where).toEqual({ size: model.keys.size, evictedUnexpired: model.evictedUnexpired })
    }
  })

  it('refuses an unbounded or invalid size', () => {
    for (const maxKeys of [0, -1, 1.5, Infinity, Number.NaN, 2 ** 31])
      expect(() => memoryStore({ maxKeys })).toThrow(TypeError)
    expect(() => memoryStore({ logger: { warn() {} } as never })).toThrow(/logger must have/)
  })
})
