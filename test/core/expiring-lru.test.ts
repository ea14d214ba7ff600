import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ExpiringLru } from '../../src/internal/expiring-lru.js'
import { KeyIndex } from '../../src/internal/key-index.js'

/** Keys that share prefixes and lengths, as delivery keys do; a small pool so that keys come back. */
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 400 }).map((n) => `github:${n.toString(16).padStart(4, '0')}`),
  fc.string({ maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.integer({ min: 0, max: 40 }).map((n) => `${'x'.repeat(60)}${n}`),
)

describe('KeyIndex (the key table of memoryStore, memoryQueue and TtlCache)', () => {
  it('answers like a Map under any sequence of adds and deletes, through growth and backward shifts', () => {
    const op = fc.record({ del: fc.nat({ max: 2 }), key: keyArb })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 1500 }), (ops) => {
        const index = new KeyIndex()
        const model = new Map<string, number>()
        const free: number[] = []
        let next = 0
        for (const { del, key } of ops) {
          const slot = model.get(key)
          expect(index.find(key)).toBe(slot ?? -1)
          if (slot !== undefined && del === 0) {
            expect(index.delete(slot)).toBe(true)
            expect(index.delete(slot)).toBe(false)
            expect(index.keyAt(slot)).toBeUndefined()
            model.delete(key)
            free.push(slot)
          } else if (slot === undefined) {
            // Freed slots are reused, as ExpiringLru reuses them.
            const at = free.pop() ?? next++
            index.add(key, at)
            model.set(key, at)
          }
          expect(index.size).toBe(model.size)
        }
        // Every key still in the model is found at its slot; every key removed is not found.
        for (const [key, slot] of model) {
          expect(index.find(key)).toBe(slot)
          expect(index.keyAt(slot)).toBe(key)
        }
        for (const { key } of ops) if (!model.has(key)) expect(index.find(key)).toBe(-1)
      }),
      { numRuns: 60 },
    )
  })

  it('finds equal keys given as other string objects, and tells keys apart that differ in one unit', () => {
    const index = new KeyIndex()
    const base = 'stripe:evt_1NXa'
    index.add(base + 'bc', 0)
    index.add(base + 'bd', 1)
    index.add('', 2)
    expect(index.find(['stripe:', 'evt_1NXabc'].join(''))).toBe(0)
    expect(index.find(`${base}bd`)).toBe(1)
    expect(index.find('')).toBe(2)
    expect(index.find(`${base}be`)).toBe(-1)
    expect(index.find(`${base}b`)).toBe(-1)
  })

  it('holds 100,000 keys, removes them all and starts over after clear()', () => {
    const index = new KeyIndex()
    for (let i = 0; i < 100_000; i++) index.add(`key-${i}`, i)
    expect(index.size).toBe(100_000)
    expect(index.find('key-99999')).toBe(99_999)
    for (let i = 0; i < 100_000; i += 2) index.delete(i)
    expect(index.size).toBe(50_000)
    for (let i = 0; i < 100_000; i++) expect(index.find(`key-${i}`)).toBe(i % 2 === 0 ? -1 : i)
    index.clear()
    expect([index.size, index.find('key-1')]).toEqual([0, -1])
    index.add('key-1', 0)
    expect(index.find('key-1')).toBe(0)
  })
})

/** The reference: a Map in recency order (re-inserted on use), least recent first. */
class ModelLru {
  readonly entries = new Map<string, { expiresAt: number; value: number }>()
  readonly evicted: string[] = []
  constructor(private readonly max: number) {}
  find(key: string): boolean {
    const entry = this.entries.get(key)
    if (!entry) return false
    this.entries.delete(key)
    this.entries.set(key, entry)
    return true
  }
  insert(key: string, expiresAt: number, value: number): void {
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value!
      this.evicted.push(oldest)
      this.entries.delete(oldest)
    }
    this.entries.set(key, { expiresAt, value })
  }
}

describe('ExpiringLru', () => {
  it('keeps, evicts and expires keys like a reference LRU under any sequence of operations', () => {
    const op = fc.record({
      kind: fc.constantFrom('touch', 'touch', 'remove', 'expire'),
      key: keyArb,
      at: fc.integer({ min: 0, max: 50 }),
    })
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 600 }), (max, ops) => {
        const evicted: string[] = []
        const lru = new ExpiringLru(
          max,
          (slot, key, expiresAt) => {
            // The listener sees the slot while it still holds the key.
            expect(lru.expiresAt(slot)).toBe(expiresAt)
            evicted.push(key)
          },
          true,
        )
        const model = new ModelLru(max)
        for (const { kind, key, at } of ops) {
          const slot = lru.find(key)
          expect(slot >= 0).toBe(model.find(key))
          if (kind === 'touch') {
            if (slot >= 0) {
              expect([lru.expiresAt(slot), lru.value(slot)]).toEqual([
                model.entries.get(key)!.expiresAt,
                model.entries.get(key)!.value,
              ])
              lru.update(slot, at, at + 1)
              model.entries.get(key)!.expiresAt = at
              model.entries.get(key)!.value = at + 1
            } else {
              const fresh = lru.insert(key, at, at + 1)
              expect(lru.findFrom(fresh, key)).toBe(fresh)
              model.insert(key, at, at + 1)
            }
          } else if (kind === 'remove' && slot >= 0) {
            lru.remove(slot)
            model.entries.delete(key)
          } else if (kind === 'expire') {
            lru.removeExpired(at)
            // Exact from the least recent end, stopping at the first live key.
            for (const [k, entry] of model.entries) {
              if (entry.expiresAt > at) break
              model.entries.delete(k)
            }
          }
          expect(lru.size).toBe(model.entries.size)
        }
        expect(evicted).toEqual(model.evicted)
        for (const key of model.entries.keys()) expect(lru.find(key)).toBeGreaterThanOrEqual(0)
      }),
      { numRuns: 100 },
    )
  })
})
