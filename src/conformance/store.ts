/**
 * The DedupeStore conformance suite, published as `hookguard/conformance`.
 * Every built-in store runs it; so can yours (see describeStoreConformance).
 */
import { describe, expect, it } from 'vitest'
import type { DedupeStore } from '../types/index.js'
import { checkAdvanceHistory, interleave, shuffled, type AdvanceCall } from './store-history.js'

/** What {@link describeStoreConformance} runs against. */
export interface StoreConformanceOptions {
  /** A fresh store over an empty namespace (unique prefix / table). */
  make(): DedupeStore | Promise<DedupeStore>
  /**
   * A second instance over the same data as `store` (another client, another
   * connection), for stores shared between processes: the race cases then run
   * across instances. Omit for in-process stores.
   * @default the store itself
   */
  peer?(store: DedupeStore): DedupeStore | Promise<DedupeStore>
  /**
   * Closes what make/peer opened (called for every store and every peer).
   * @default none
   */
  destroy?(store: DedupeStore): Promise<void> | void
  /**
   * Optional methods the store does not implement; their cases are reported as skipped.
   * @default [] (forget and advance are both tested)
   */
  without?: ReadonlyArray<'forget' | 'advance'>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type WithStore = (fn: (store: DedupeStore) => Promise<void>) => () => Promise<void>
type WithPeers = (count: number, fn: (stores: DedupeStore[]) => Promise<void>) => () => Promise<void>

/**
 * Declares the DedupeStore conformance cases for your store, inside a vitest
 * test file: atomic reserves (one winner under concurrency, across `peer`
 * instances too), owner tokens (only the holder completes or releases; a
 * lapsed lease lets the next delivery in), completed keys staying duplicates
 * until their retention, and the optional `forget` and `advance` (a
 * compare-and-set history checked against what an atomic store allows).
 * Every built-in store passes the same cases.
 *
 * Call it at the top level of a test file (it calls vitest's `describe` and
 * `it`; vitest is an optional peer dependency). `make` must give a store over
 * an empty namespace each time.
 *
 * @example
 * ```ts
 * // test/my-store.test.ts
 * import { describeStoreConformance } from 'hookguard/conformance'
 *
 * describeStoreConformance('myStore', {
 *   make: () => myStore({ prefix: `test:${crypto.randomUUID()}:` }),
 *   destroy: (store) => store.close?.(),
 *   without: ['advance'], // not implemented: those cases are reported as skipped
 * })
 * ```
 */
export function describeStoreConformance(title: string, options: StoreConformanceOptions): void {
  const withStore: WithStore = (fn) => async () => {
    const store = await options.make()
    try {
      await fn(store)
    } finally {
      await options.destroy?.(store)
    }
  }
  // `count` instances over the same data: the store, then peers (or the store again when it has no peers).
  const withPeers: WithPeers = (count, fn) =>
    withStore(async (store) => {
      const stores = [store]
      try {
        for (let i = 1; i < count; i++) stores.push(options.peer ? await options.peer(store) : store)
        await fn(stores)
      } finally {
        for (const peer of stores.slice(1)) if (peer !== store) await options.destroy?.(peer)
      }
    })
  const without = new Set(options.without ?? [])

  describe(`DedupeStore conformance: ${title}`, () => {
    describeReserve(withStore)
    describeShared(withStore, withPeers)
    describe.skipIf(without.has('forget'))('forget()', () => describeForget(withStore, withPeers))
    describe.skipIf(without.has('advance'))('advance()', () => {
      describeAdvance(withStore)
      describeAdvanceExact(withStore)
      describeAdvanceRules(withStore)
      describeAdvanceRaces(withPeers)
    })
  })
}

async function reserved(store: DedupeStore, key: string, leaseMs = 30_000): Promise<string> {
  const result = await store.reserve(key, leaseMs)
  if (result.status !== 'reserved') throw new Error(`expected ${key} to be reserved, got ${result.status}`)
  return result.token
}

function describeReserve(withStore: WithStore): void {
  it(
    'reserve of a new key returns reserved with an owner token',
    withStore(async (store) => {
      const result = await store.reserve('k:new', 30_000)
      expect(result.status).toBe('reserved')
      expect(result.status === 'reserved' && result.token.length).toBeGreaterThan(0)
    }),
  )

  it(
    'reserve of a key in flight returns in_flight',
    withStore(async (store) => {
      expect((await store.reserve('k:a', 30_000)).status).toBe('reserved')
      expect((await store.reserve('k:a', 30_000)).status).toBe('in_flight')
    }),
  )

  it(
    'complete by the owner makes later reserves duplicates',
    withStore(async (store) => {
      const token = await reserved(store, 'k:b')
      expect(await store.complete('k:b', token, 60_000)).toBe(true)
      expect((await store.reserve('k:b', 30_000)).status).toBe('duplicate')
      expect((await store.reserve('k:b', 30_000)).status).toBe('duplicate')
    }),
  )

  it(
    'complete with a foreign token changes nothing and returns false',
    withStore(async (store) => {
      const token = await reserved(store, 'k:c')
      expect(await store.complete('k:c', 'not-the-token', 60_000)).toBe(false)
      expect((await store.reserve('k:c', 30_000)).status).toBe('in_flight')
      expect(await store.complete('k:c', token, 60_000)).toBe(true)
    }),
  )

  it(
    'complete of a key never reserved returns false and leaves it free',
    withStore(async (store) => {
      expect(await store.complete('k:never', 'token', 60_000)).toBe(false)
      expect((await store.reserve('k:never', 30_000)).status).toBe('reserved')
    }),
  )

  describeRelease(withStore)
  describeExpiry(withStore)
}

function describeRelease(withStore: WithStore): void {
  it(
    'release by the owner frees the key for a new reservation with a new token',
    withStore(async (store) => {
      const token = await reserved(store, 'k:d')
      expect(await store.release('k:d', token)).toBe(true)
      const second = await store.reserve('k:d', 30_000)
      expect(second.status).toBe('reserved')
      expect(second.status === 'reserved' && second.token).not.toBe(token)
    }),
  )

  it(
    'release with a foreign token, or of a completed key, changes nothing',
    withStore(async (store) => {
      const token = await reserved(store, 'k:e')
      expect(await store.release('k:e', 'not-the-token')).toBe(false)
      expect((await store.reserve('k:e', 30_000)).status).toBe('in_flight')
      expect(await store.complete('k:e', token, 60_000)).toBe(true)
      expect(await store.release('k:e', token)).toBe(false)
      expect((await store.reserve('k:e', 30_000)).status).toBe('duplicate')
    }),
  )
}

function describeExpiry(withStore: WithStore): void {
  it(
    'a lapsed lease lets the next delivery reserve, and the old owner can no longer complete',
    withStore(async (store) => {
      const token = await reserved(store, 'k:lease', 150)
      await sleep(400)
      expect((await store.reserve('k:lease', 30_000)).status).toBe('reserved')
      expect(await store.complete('k:lease', token, 60_000)).toBe(false)
      expect(await store.release('k:lease', token)).toBe(false)
      expect((await store.reserve('k:lease', 30_000)).status).toBe('in_flight')
    }),
  )

  it(
    'a completed key is forgotten after its retention',
    withStore(async (store) => {
      const token = await reserved(store, 'k:ret')
      expect(await store.complete('k:ret', token, 200)).toBe(true)
      expect((await store.reserve('k:ret', 30_000)).status).toBe('duplicate')
      await sleep(450)
      // An expired completion is no completed key: forget has nothing to remove.
      if (store.forget) expect(await store.forget('k:ret')).toBe(false)
      expect((await store.reserve('k:ret', 30_000)).status).toBe('reserved')
    }),
  )

  it(
    'keys are independent, including long and unusual ones',
    withStore(async (store) => {
      const keys = [
        'stripe:default:evt_1',
        'stripe:default:evt_1 ',
        'github:a%3Ab:é💥',
        `x:${'z'.repeat(600)}`,
        "q:'; DROP TABLE x;--",
      ]
      for (const key of keys) expect((await store.reserve(key, 30_000)).status).toBe('reserved')
      for (const key of keys) expect((await store.reserve(key, 30_000)).status).toBe('in_flight')
    }),
  )
}

function describeShared(withStore: WithStore, withPeers: WithPeers): void {
  it(
    'exactly one of many concurrent reserves of one key wins',
    withPeers(3, async (stores) => {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => stores[i % stores.length]!.reserve('k:race', 30_000)),
      )
      expect(results.filter((r) => r.status === 'reserved')).toHaveLength(1)
      expect(results.filter((r) => r.status === 'in_flight')).toHaveLength(59)
    }),
  )

  it(
    'a completion is visible to every instance at once',
    withPeers(2, async ([store, other]) => {
      const token = await reserved(store!, 'k:shared')
      expect((await other!.reserve('k:shared', 30_000)).status).toBe('in_flight')
      expect(await other!.complete('k:shared', token, 60_000)).toBe(true)
      expect((await store!.reserve('k:shared', 30_000)).status).toBe('duplicate')
    }),
  )
}

function describeForget(withStore: WithStore, withPeers: WithPeers): void {
  it(
    'is implemented',
    withStore(async (store) => expect(typeof store.forget).toBe('function')),
  )

  it(
    'forget of a completed key re-admits it: the next reserve is reserved, with a new token',
    withStore(async (store) => {
      const token = await reserved(store, 'k:f:done')
      expect(await store.complete('k:f:done', token, 60_000)).toBe(true)
      expect(await store.forget!('k:f:done')).toBe(true)
      const again = await reserved(store, 'k:f:done')
      expect(again).not.toBe(token)
      // Now in flight again: a second forget leaves it alone, and the old owner cannot complete it.
      expect(await store.forget!('k:f:done')).toBe(false)
      expect(await store.complete('k:f:done', token, 60_000)).toBe(false)
      expect((await store.reserve('k:f:done', 30_000)).status).toBe('in_flight')
      expect(await store.complete('k:f:done', again, 60_000)).toBe(true)
      expect((await store.reserve('k:f:done', 30_000)).status).toBe('duplicate')
    }),
  )

  it(
    'forget of a reserved key returns false, and the reservation holds for every instance',
    withPeers(2, async ([store, other]) => {
      const token = await reserved(store!, 'k:f:held')
      expect(await store!.forget!('k:f:held')).toBe(false)
      expect(await other!.forget!('k:f:held')).toBe(false)
      expect((await store!.reserve('k:f:held', 30_000)).status).toBe('in_flight')
      expect((await other!.reserve('k:f:held', 30_000)).status).toBe('in_flight')
      expect(await store!.complete('k:f:held', token, 60_000)).toBe(true)
      expect((await other!.reserve('k:f:held', 30_000)).status).toBe('duplicate')
    }),
  )

  it(
    'forget of an unknown key returns false and creates nothing',
    withStore(async (store) => {
      expect(await store.forget!('k:f:unknown')).toBe(false)
      expect(await store.forget!('k:f:unknown')).toBe(false)
      expect((await store.reserve('k:f:unknown', 30_000)).status).toBe('reserved')
    }),
  )

  it(
    'after a forget, exactly one of concurrent reserves wins (40 rounds, across instances)',
    withPeers(2, async (stores) => {
      for (let round = 0; round < 40; round++) {
        const key = `k:f:race:${round}`
        const token = await reserved(stores[round % 2]!, key)
        expect(await stores[round % 2]!.complete(key, token, 60_000)).toBe(true)
        expect(await stores[(round + 1) % 2]!.forget!(key)).toBe(true)
        const results = await Promise.all([0, 1, 2, 3].map((i) => stores[(i + round) % 2]!.reserve(key, 30_000)))
        const statuses = results.map((r) => r.status).sort()
        expect(statuses, `round ${round}`).toEqual(['in_flight', 'in_flight', 'in_flight', 'reserved'])
      }
    }),
  )
}

function describeAdvance(withStore: WithStore): void {
  it(
    'is implemented',
    withStore(async (store) => expect(typeof store.advance).toBe('function')),
  )

  it(
    'records the newest version: older is stale, equal and newer run',
    withStore(async (store) => {
      const steps: Array<[number, boolean]> = [
        [5, true],
        [3, false],
        [5, true],
        [7, true],
        [6, false],
        [7, true],
        [100, true],
        [99.5, false],
      ]
      const answers = []
      for (const [version] of steps) answers.push(await store.advance!('o:seq', version, 60_000))
      expect(answers).toEqual(steps.map(([, expected]) => expected))
    }),
  )
}

function describeAdvanceExact(withStore: WithStore): void {
  it(
    'compares versions exactly: fractions, negatives, ms timestamps, 2^53, extremes',
    withStore(async (store) => {
      const sequences: Array<Array<[number, boolean]>> = [
        [
          [1_726_000_000_123, true],
          [1_726_000_000_122, false],
          [1_726_000_000_124, true],
        ],
        [
          [0.1, true],
          [0.09999999999999999, false],
          [0.1, true],
          [0.30000000000000004, true],
          [0.3, false],
        ],
        [
          [2 ** 53 - 1, true],
          [2 ** 53 - 2, false],
          [2 ** 53, true],
          [2 ** 31, false],
        ],
        [
          [-10, true],
          [-20, false],
          [-10, true],
          [0, true],
          [-0.5, false],
        ],
        [
          [0, true],
          [5e-324, true],
          [0, false],
          [1e300, true],
          [9.99e299, false],
          [Number.MAX_VALUE, true],
        ],
      ]
      for (const [i, sequence] of sequences.entries()) {
        const answers = []
        for (const [version] of sequence) answers.push(await store.advance!(`o:exact:${i}`, version, 60_000))
        expect(answers, `sequence ${i}`).toEqual(sequence.map(([, expected]) => expected))
      }
    }),
  )
}

function describeAdvanceRules(withStore: WithStore): void {
  it(
    'entities are independent',
    withStore(async (store) => {
      expect(await store.advance!('o:a', 10, 60_000)).toBe(true)
      expect(await store.advance!('o:b', 1, 60_000)).toBe(true)
      expect(await store.advance!('o:a', 5, 60_000)).toBe(false)
      expect(await store.advance!('o:b', 5, 60_000)).toBe(true)
      expect(await store.advance!('o:a ', 1, 60_000)).toBe(true)
      expect(await store.advance!('o:b', 4, 60_000)).toBe(false)
    }),
  )

  it(
    'refuses a version that is not a finite number, and records nothing',
    withStore(async (store) => {
      for (const version of [Number.NaN, Infinity, -Infinity, '5' as unknown as number]) {
        await expect(store.advance!('o:bad', version, 60_000), String(version)).rejects.toThrow()
      }
      expect(await store.advance!('o:bad', -1e300, 60_000)).toBe(true)
    }),
  )

  it(
    'a record expires after retentionMs: then any version runs',
    withStore(async (store) => {
      expect(await store.advance!('o:ttl', 10, 150)).toBe(true)
      expect(await store.advance!('o:ttl', 5, 150)).toBe(false)
      await sleep(400)
      expect(await store.advance!('o:ttl', 5, 60_000)).toBe(true)
      expect(await store.advance!('o:ttl', 4, 60_000)).toBe(false)
    }),
  )
}

function describeAdvanceRaces(withPeers: WithPeers): void {
  it(
    'two concurrent callers on shuffled versions: every answer fits what was recorded before it, the max ends recorded',
    withPeers(2, async (stores) => {
      for (let round = 0; round < 8; round++) {
        const seed = 0x5eed + round
        const entities = ['o:race:a', 'o:race:b', 'o:race:c'].map((e) => `${e}:${round}`)
        // Every version twice (once per caller), so equal versions also race. Quarter steps on a ms
        // timestamp: exact in a double, and a probe fits between two of them.
        const versions = Array.from({ length: 24 }, (_, k) => 1_726_000_000_000 + k / 4)
        const work = (caller: number) =>
          shuffled(
            entities.flatMap((entity) => versions.map((version) => ({ entity, version }))),
            seed * 31 + caller,
          )
        const calls: AdvanceCall[] = await interleave(stores, [work(0), work(1)])
        checkAdvanceHistory(calls, `seed ${seed}`)
        const max = Math.max(...versions)
        for (const entity of entities) {
          expect(await stores[0]!.advance!(entity, max - 0.125, 60_000), `${entity} seed ${seed}`).toBe(false)
          expect(await stores[1]!.advance!(entity, max, 60_000), `${entity} seed ${seed}`).toBe(true)
        }
      }
    }),
  )
}
