import { describe, expect, it } from 'vitest'
import { TtlCache } from '../../src/internal/ttl-cache.js'

describe('TtlCache (per-tenant secret lookups)', () => {
  it('returns what was set until its time to live ends, then forgets it', () => {
    let now = 1_000
    const cache = new TtlCache<string>(10, 500, () => now)
    cache.set('a', 'A')
    now += 499
    expect(cache.get('a')).toBe('A')
    now += 1
    expect(cache.get('a')).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('evicts the least recently used entry when full; a read counts as a use', () => {
    const cache = new TtlCache<number>(3, 60_000)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.set('c', 3)
    expect(cache.get('a')).toBe(1) // b is now the least recently used
    cache.set('d', 4)
    expect(cache.get('b')).toBeUndefined()
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4])
    expect(cache.size).toBe(3)
  })

  it('overwrites in place, deletes and clears', () => {
    const cache = new TtlCache<string>(2, 60_000)
    cache.set('a', 'one')
    cache.set('a', 'two')
    expect(cache.size).toBe(1)
    expect(cache.get('a')).toBe('two')
    expect(cache.delete('a')).toBe(true)
    expect(cache.delete('a')).toBe(false)
    cache.set('b', 'B')
    cache.clear()
    expect(cache.size).toBe(0)
    expect(cache.get('b')).toBeUndefined()
  })

  it('stays bounded and answers like a reference model over many tenants (no value from an evicted slot)', () => {
    const max = 50
    const cache = new TtlCache<string>(max, 60_000)
    const model = new Map<string, string>()
    let seed = 7
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    for (let i = 0; i < 20_000; i++) {
      const key = `tenant-${Math.floor(random() * 200)}`
      if (random() < 0.5) {
        cache.set(key, `secret-${i}`)
        model.delete(key)
        model.set(key, `secret-${i}`)
        if (model.size > max) model.delete(model.keys().next().value!)
      } else {
        const expected = model.get(key)
        if (expected !== undefined) {
          model.delete(key)
          model.set(key, expected)
        }
        expect(cache.get(key)).toBe(expected)
      }
      expect(cache.size).toBe(model.size)
    }
  })
})
