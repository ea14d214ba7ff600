/**
 * The DedupeStore conformance suite. Every built-in store runs it, and so can
 * yours:
 *
 * ```ts
 * import { describeStoreConformance } from 'hookguard/test/conformance/store'
 * describeStoreConformance('my store', { make: () => myStore() })
 * ```
 */
import { describe, expect, it } from 'vitest'
import type { DedupeStore } from '../../src/types/index.js'

export interface StoreConformanceOptions {
  /** A fresh store over an empty namespace (unique prefix / table). */
  make(): DedupeStore | Promise<DedupeStore>
  /**
   * A second instance over the same data as `store` (another client, another
   * connection), for stores shared between processes. Omit for in-process stores.
   */
  peer?(store: DedupeStore): DedupeStore | Promise<DedupeStore>
  /** Closes what make/peer opened. */
  destroy?(store: DedupeStore): Promise<void> | void
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function describeStoreConformance(title: string, options: StoreConformanceOptions): void {
  describe(`DedupeStore conformance: ${title}`, () => {
    async function withStore(fn: (store: DedupeStore) => Promise<void>): Promise<void> {
      const store = await options.make()
      try {
        await fn(store)
      } finally {
        await options.destroy?.(store)
      }
    }

    it('reserve of a new key returns reserved with an owner token', () =>
      withStore(async (store) => {
        const result = await store.reserve('k:new', 30_000)
        expect(result.status).toBe('reserved')
        expect(result.status === 'reserved' && result.token.length).toBeGreaterThan(0)
      }))

    it('reserve of a key in flight returns in_flight', () =>
      withStore(async (store) => {
        expect((await store.reserve('k:a', 30_000)).status).toBe('reserved')
        expect((await store.reserve('k:a', 30_000)).status).toBe('in_flight')
      }))

    it('complete by the owner makes later reserves duplicates', () =>
      withStore(async (store) => {
        const first = await store.reserve('k:b', 30_000)
        if (first.status !== 'reserved') throw new Error('expected reserved')
        expect(await store.complete('k:b', first.token, 60_000)).toBe(true)
        expect((await store.reserve('k:b', 30_000)).status).toBe('duplicate')
        expect((await store.reserve('k:b', 30_000)).status).toBe('duplicate')
      }))

    it('complete with a foreign token changes nothing and returns false', () =>
      withStore(async (store) => {
        const first = await store.reserve('k:c', 30_000)
        if (first.status !== 'reserved') throw new Error('expected reserved')
        expect(await store.complete('k:c', 'not-the-token', 60_000)).toBe(false)
        expect((await store.reserve('k:c', 30_000)).status).toBe('in_flight')
        expect(await store.complete('k:c', first.token, 60_000)).toBe(true)
      }))

    it('complete of a key never reserved returns false and leaves it free', () =>
      withStore(async (store) => {
        expect(await store.complete('k:never', 'token', 60_000)).toBe(false)
        expect((await store.reserve('k:never', 30_000)).status).toBe('reserved')
      }))

    it('release by the owner frees the key for a new reservation with a new token', () =>
      withStore(async (store) => {
        const first = await store.reserve('k:d', 30_000)
        if (first.status !== 'reserved') throw new Error('expected reserved')
        expect(await store.release('k:d', first.token)).toBe(true)
        const second = await store.reserve('k:d', 30_000)
        expect(second.status).toBe('reserved')
        expect(second.status === 'reserved' && second.token).not.toBe(first.token)
      }))

    it('release with a foreign token, or of a completed key, changes nothing', () =>
      withStore(async (store) => {
        const first = await store.reserve('k:e', 30_000)
        if (first.status !== 'reserved') throw new Error('expected reserved')
        expect(await store.release('k:e', 'not-the-token')).toBe(false)
        expect((await store.reserve('k:e', 30_000)).status).toBe('in_flight')
        expect(await store.complete('k:e', first.token, 60_000)).toBe(true)
        expect(await store.release('k:e', first.token)).toBe(false)
        expect((await store.reserve('k:e', 30_000)).status).toBe('duplicate')
      }))

    it('a lapsed lease lets the next delivery reserve, and the old owner can no longer complete', () =>
      withStore(async (store) => {
        const first = await store.reserve('k:lease', 150)
        if (first.status !== 'reserved') throw new Error('expected reserved')
        await sleep(400)
        const second = await store.reserve('k:lease', 30_000)
        expect(second.status).toBe('reserved')
        expect(await store.complete('k:lease', first.token, 60_000)).toBe(false)
        expect(await store.release('k:lease', first.token)).toBe(false)
        expect((await store.reserve('k:lease', 30_000)).status).toBe('in_flight')
      }))

    it('a completed key is forgotten after its retention', () =>
      withStore(async (store) => {
        const first = await store.reserve('k:ret', 30_000)
        if (first.status !== 'reserved') throw new Error('expected reserved')
        expect(await store.complete('k:ret', first.token, 200)).toBe(true)
        expect((await store.reserve('k:ret', 30_000)).status).toBe('duplicate')
        await sleep(450)
        expect((await store.reserve('k:ret', 30_000)).status).toBe('reserved')
      }))

    it('keys are independent, including long and unusual ones', () =>
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
      }))

    it('exactly one of many concurrent reserves of one key wins', () =>
      withStore(async (store) => {
        const stores = [store]
        if (options.peer) stores.push(await options.peer(store), await options.peer(store))
        try {
          const results = await Promise.all(
            Array.from({ length: 60 }, (_, i) => stores[i % stores.length]!.reserve('k:race', 30_000)),
          )
          expect(results.filter((r) => r.status === 'reserved')).toHaveLength(1)
          expect(results.filter((r) => r.status === 'in_flight')).toHaveLength(59)
        } finally {
          for (const peer of stores.slice(1)) await options.destroy?.(peer)
        }
      }))

    it('a completion is visible to every instance at once', () =>
      withStore(async (store) => {
        const other = options.peer ? await options.peer(store) : store
        try {
          const first = await store.reserve('k:shared', 30_000)
          if (first.status !== 'reserved') throw new Error('expected reserved')
          expect((await other.reserve('k:shared', 30_000)).status).toBe('in_flight')
          expect(await other.complete('k:shared', first.token, 60_000)).toBe(true)
          expect((await store.reserve('k:shared', 30_000)).status).toBe('duplicate')
        } finally {
          if (other !== store) await options.destroy?.(other)
        }
      }))
  })
}
