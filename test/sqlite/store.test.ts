import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/sqlite.js'
import { fixedClock } from '../../src/testing.js'
import { tempDir } from './helpers.js'

const tmp = tempDir('store')
afterAll(() => tmp.cleanup())

describe('sqliteStore', () => {
  it('keeps reservations and completions across a restart', async () => {
    const path = tmp.file('restart')
    const first = sqliteStore({ path })
    const held = await first.reserve('restart:held', 30_000)
    const done = await first.reserve('restart:done', 30_000)
    if (held.status !== 'reserved' || done.status !== 'reserved') throw new Error('expected reserved')
    expect(await first.complete('restart:done', done.token, 60_000)).toBe(true)
    await first.close()

    const second = sqliteStore({ path })
    try {
      expect((await second.reserve('restart:held', 30_000)).status).toBe('in_flight')
      expect((await second.reserve('restart:done', 30_000)).status).toBe('duplicate')
      expect(await second.complete('restart:held', held.token, 60_000)).toBe(true)
    } finally {
      await second.close()
    }
  })

  it('never evicts: a replay of the first event is still a duplicate after thousands of newer keys', async () => {
    const store = sqliteStore({ path: tmp.file('no-eviction') })
    try {
      for (let i = 0; i < 3000; i++) {
        const r = await store.reserve(`stripe:default:evt_${i}`, 30_000)
        if (r.status !== 'reserved') throw new Error(`expected reserved for ${i}`)
        await store.complete(`stripe:default:evt_${i}`, r.token, 3_600_000)
      }
      expect(store.size()).toBe(3000)
      expect((await store.reserve('stripe:default:evt_0', 30_000)).status).toBe('duplicate')
    } finally {
      await store.close()
    }
  })

  it('reports how long an in-flight key stays blocked', async () => {
    const clock = fixedClock(1_000_000)
    const store = sqliteStore({ path: tmp.file('retry-after'), now: clock })
    try {
      await store.reserve('ra:1', 30_000)
      clock.advance(12_000)
      expect(await store.reserve('ra:1', 30_000)).toEqual({ status: 'in_flight', retryAfterMs: 18_000 })
    } finally {
      await store.close()
    }
  })

  it('purges expired keys in bounded batches during normal calls, and never a live one', async () => {
    const clock = fixedClock(1_000_000)
    const store = sqliteStore({ path: tmp.file('purge'), now: clock, purgeBatchSize: 10, purgeIntervalMs: 60_000 })
    try {
      for (let i = 0; i < 25; i++) {
        const r = await store.reserve(`old:${i}`, 30_000)
        if (r.status === 'reserved') await store.complete(`old:${i}`, r.token, 1000)
      }
      await store.reserve('live:held', 3_600_000)
      expect(store.size()).toBe(26)
      clock.advance(61_000)
      await store.reserve('new:1', 30_000) // purge due: deletes one batch of 10
      expect(store.size()).toBe(17)
      await store.reserve('new:2', 30_000) // the batch was full, so the next call purges again
      expect(store.size()).toBe(8)
      await store.reserve('new:3', 30_000) // 5 left: deleted, then the interval applies
      expect(store.size()).toBe(4)
      await store.reserve('new:4', 30_000)
      expect(store.size()).toBe(5)
      expect((await store.reserve('live:held', 30_000)).status).toBe('in_flight')
      expect(store.purge()).toBe(0)
    } finally {
      await store.close()
    }
  })

  it('opens its own file in WAL with synchronous=NORMAL, and leaves a passed connection as it was', async () => {
    const path = tmp.file('pragmas')
    const own = sqliteStore({ path })
    const full = sqliteStore({ path, synchronous: 'full', table: 'strict_dedupe' })
    const db = new Database(path)
    db.pragma('synchronous = OFF')
    const shared = sqliteStore({ database: db })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(0)
    await Promise.all([own.close(), full.close(), shared.close()])
    expect(db.open).toBe(true)
    db.close()
  })

  it('rejects use after close, and validates its options with a TypeError that says what to fix', async () => {
    const path = tmp.file('options')
    const store = sqliteStore({ path })
    await store.close()
    await expect(store.reserve('x', 1000)).rejects.toThrow(/closed/)
    expect(() => sqliteStore(undefined as never)).toThrow(/path.*database/)
    expect(() => sqliteStore({ path: '' })).toThrow(/non-empty/)
    expect(() => sqliteStore({ path, table: 'sqlite_master' })).toThrow(/identifier/)
    expect(() => sqliteStore({ path, purgeBatchSize: 0 })).toThrow(/purgeBatchSize/)
    expect(() => sqliteStore({ path, busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs/)
    expect(() => sqliteStore({ path, now: 5 as never })).toThrow(/now/)
    const db = new Database(path)
    db.exec('CREATE TABLE keys (key TEXT PRIMARY KEY)')
    expect(() => sqliteStore({ database: db, table: 'keys' })).toThrow(/missing state, token, expires_at/)
    db.close()
  })
})
