/**
 * sqliteQueue.atomicIntake with sqliteStore on the same file: reserve,
 * enqueue and complete as one write of the queue's group commit, on real
 * SQLite files. The SIGKILL window is in crash.test.ts.
 */
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createReceiver, memoryStore } from '../../src/index.js'
import type { WalSync } from '../../src/internal/sqlite.js'
import { TEST_HOOKS } from '../../src/queues/sqlite/index.js'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import { fixedClock, signRequest } from '../../src/testing.js'
import type { AtomicIntake, WebhookEvent } from '../../src/types/index.js'
import { FIXTURES } from '../support/providers.js'
import { sampleEvent, sleep, tempDir, waitFor } from './helpers.js'

const tmp = tempDir('intake')
afterAll(() => tmp.cleanup())
const OPTIONS = { leaseMs: 30_000, retentionMs: 3_600_000 }

function read<T>(path: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare(sql).all(...params) as T[]
  } finally {
    db.close()
  }
}

const jobs = (path: string, key: string) =>
  read<{ state: string; payload: string }>(path, 'SELECT state, payload FROM hookguard_jobs WHERE key = ?', key)
const keys = (path: string, key: string) =>
  read<{ state: string; expires_at: number }>(path, 'SELECT state, expires_at FROM hookguard_dedupe WHERE key = ?', key)

describe('sqliteQueue.atomicIntake', () => {
  it('is offered for a sqliteStore on the same file or connection, and for nothing else', async () => {
    const path = tmp.file('offer')
    const queue = sqliteQueue({ path })
    const database = new Database(path)
    const stores = {
      samePath: sqliteStore({ path }),
      sameFileOtherConnection: sqliteStore({ database }),
      otherFile: sqliteStore({ path: tmp.file('other') }),
    }
    const shared = new Database(tmp.file('shared'))
    const sharedQueue = sqliteQueue({ database: shared })
    const sharedStore = sqliteStore({ database: shared })
    try {
      expect(typeof queue.atomicIntake(stores.samePath)).toBe('function')
      expect(typeof queue.atomicIntake(stores.sameFileOtherConnection)).toBe('function')
      expect(typeof sharedQueue.atomicIntake(sharedStore)).toBe('function')
      expect(queue.atomicIntake(stores.otherFile)).toBeUndefined()
      expect(queue.atomicIntake(memoryStore())).toBeUndefined()
      // A wrapper is another store: its own reserve/complete must run, so no shortcut.
      expect(queue.atomicIntake({ ...stores.samePath })).toBeUndefined()
    } finally {
      await Promise.all([queue.close(), sharedQueue.close(), ...Object.values(stores).map((s) => s.close())])
      await sharedStore.close()
      database.close()
      shared.close()
    }
    expect(queue.atomicIntake(sqliteStore({ path }))).toBeUndefined() // a closed queue offers nothing
  })

  it('accepted: the job and the completed key, kept for the retention on the store’s clock, in one commit', async () => {
    const path = tmp.file('accepted')
    const clock = fixedClock(1_000_000)
    const store = sqliteStore({ path, now: clock })
    const queue = sqliteQueue({ path })
    try {
      const intake = queue.atomicIntake(store)!
      expect(await intake(sampleEvent('in:1', { payload: { n: 1 } }), OPTIONS)).toEqual({ status: 'accepted' })
      expect(jobs(path, 'in:1')).toEqual([{ state: 'pending', payload: '{"n":1}' }])
      expect(keys(path, 'in:1')).toEqual([{ state: 'done', expires_at: 1_000_000 + OPTIONS.retentionMs }])
      expect(queue.commitStats()).toEqual({ commits: 1, enqueued: 1 })
      // The store itself sees a completed key.
      expect((await store.reserve('in:1', 30_000)).status).toBe('duplicate')
    } finally {
      await Promise.all([queue.close(), store.close()])
    }
  })

  it('duplicate: a completed key adds no job, within one group commit too', async () => {
    const path = tmp.file('duplicate')
    const store = sqliteStore({ path })
    const queue = sqliteQueue({ path })
    try {
      const intake = queue.atomicIntake(store)!
      const results = await Promise.all([
        intake(sampleEvent('dup:1', { payload: 'first' }), OPTIONS),
        intake(sampleEvent('dup:1', { payload: 'second' }), OPTIONS),
      ])
      expect(results).toEqual([{ status: 'accepted' }, { status: 'duplicate' }])
      expect(await intake(sampleEvent('dup:1', { payload: 'third' }), OPTIONS)).toEqual({ status: 'duplicate' })
      expect(jobs(path, 'dup:1')).toEqual([{ state: 'pending', payload: '"first"' }])
      expect(queue.commitStats().commits).toBe(2)
    } finally {
      await Promise.all([queue.close(), store.close()])
    }
  })

  it('in_flight while the three-step path holds the key; an expired reservation or key is taken over', async () => {
    const path = tmp.file('in-flight')
    const clock = fixedClock(5_000_000)
    const store = sqliteStore({ path, now: clock })
    const queue = sqliteQueue({ path })
    try {
      const intake = queue.atomicIntake(store)!
      const held = await store.reserve('fl:1', 20_000)
      expect(held.status).toBe('reserved')
      clock.advance(5_000)
      expect(await intake(sampleEvent('fl:1'), OPTIONS)).toEqual({ status: 'in_flight', retryAfterMs: 15_000 })
      expect(jobs(path, 'fl:1')).toEqual([])
      clock.advance(15_000) // the lease ends
      expect(await intake(sampleEvent('fl:1'), OPTIONS)).toEqual({ status: 'accepted' })
      // The old owner can no longer complete or release it.
      expect(await store.complete('fl:1', (held as { token: string }).token, 60_000)).toBe(false)
      expect(await store.release('fl:1', (held as { token: string }).token)).toBe(false)
      clock.advance(OPTIONS.retentionMs) // the completed key expires: a re-delivery is accepted again
      expect(await intake(sampleEvent('fl:1'), { ...OPTIONS, retentionMs: 1000 })).toEqual({ status: 'accepted' })
      expect(keys(path, 'fl:1')).toEqual([{ state: 'done', expires_at: clock() + 1000 }])
      expect(jobs(path, 'fl:1')).toHaveLength(1) // the job is still remembered by the queue: no second one
    } finally {
      await Promise.all([queue.close(), store.close()])
    }
  })

  it('purges the store’s expired keys (the receiver no longer calls the store on this path)', async () => {
    const path = tmp.file('purge')
    const clock = fixedClock(1_000_000)
    const store = sqliteStore({ path, now: clock, purgeIntervalMs: 1000 })
    const queue = sqliteQueue({ path })
    try {
      const intake = queue.atomicIntake(store)!
      await intake(sampleEvent('pg:1'), { ...OPTIONS, retentionMs: 500 })
      await intake(sampleEvent('pg:2'), { ...OPTIONS, retentionMs: 500 })
      expect(store.size()).toBe(2)
      clock.advance(1000)
      await intake(sampleEvent('pg:3'), OPTIONS)
      expect(store.size()).toBe(1)
      expect(keys(path, 'pg:1')).toEqual([])
    } finally {
      await Promise.all([queue.close(), store.close()])
    }
  })

  it('refuses bad options, a closed store and a closed queue', async () => {
    const path = tmp.file('refuse')
    const store = sqliteStore({ path })
    const queue = sqliteQueue({ path })
    const intake = queue.atomicIntake(store)!
    await expect(intake(sampleEvent('rf:1'), { leaseMs: 30_000, retentionMs: 0 })).rejects.toThrow(TypeError)
    await expect(intake({ ...sampleEvent('rf:1'), key: '' }, OPTIONS)).rejects.toThrow(/key/)
    await store.close()
    await expect(intake(sampleEvent('rf:1'), OPTIONS)).rejects.toThrow(/sqliteStore is closed/)
    const other = sqliteStore({ path })
    const again = queue.atomicIntake(other)!
    await queue.close()
    await expect(again(sampleEvent('rf:1'), OPTIONS)).rejects.toThrow(/closed/)
    await other.close()
    expect(read(path, 'SELECT key FROM hookguard_jobs')).toEqual([])
  })

  it('answers a duplicate only after a WAL sync that began after it read the completed key', async () => {
    const path = tmp.file('dup-sync')
    const held: Array<() => void> = []
    let syncs = 0
    const wrapWalSync = (sync: WalSync): WalSync => ({
      after: (done) => sync.after((error) => (syncs++, held.push(() => done(error)))),
      close: () => sync.close(),
    })
    const store = sqliteStore({ path })
    const queue = sqliteQueue({ path, ...{ [TEST_HOOKS]: { wrapWalSync } } })
    const intake: AtomicIntake = queue.atomicIntake(store)!
    try {
      const first = intake(sampleEvent('ds:1'), OPTIONS)
      await waitFor(() => syncs === 1, 5000, 'the first sync')
      held.splice(0).forEach((report) => report())
      expect(await first).toEqual({ status: 'accepted' })
      let answered = false
      const second = intake(sampleEvent('ds:1'), OPTIONS).then((result) => ((answered = true), result))
      await waitFor(() => syncs === 2, 5000, 'the second sync')
      await sleep(30)
      expect(answered).toBe(false)
      held.splice(0).forEach((report) => report())
      expect(await second).toEqual({ status: 'duplicate' })
    } finally {
      const closing = Promise.all([queue.close(), store.close()])
      held.splice(0).forEach((report) => report())
      await closing
    }
  })

  it('createReceiver takes it for the pair: accepted once, duplicate after, the handler once, no store round trips', async () => {
    const path = tmp.file('receiver')
    const fixture = FIXTURES.find((f) => f.name === 'stripe')!
    const store = sqliteStore({ path })
    const reserve = vi.spyOn(store, 'reserve')
    const complete = vi.spyOn(store, 'complete')
    const handled: WebhookEvent[] = []
    const receiver = createReceiver({
      provider: fixture.make(),
      store,
      queue: sqliteQueue({ path, pollIntervalMs: 50 }),
      handler: (event) => void handled.push(event),
    })
    try {
      const signed = await signRequest(fixture.make(), { body: fixture.body('evt_atomic_sqlite') })
      const request = { method: 'POST', headers: signed.headers, body: signed.body }
      const first = await receiver.handle(request)
      expect(first.outcome.kind).toBe('accepted')
      expect(jobs(path, 'stripe:default:evt_atomic_sqlite')).toHaveLength(1)
      expect(keys(path, 'stripe:default:evt_atomic_sqlite')[0]?.state).toBe('done')
      expect((await receiver.handle(request)).outcome.kind).toBe('duplicate')
      await waitFor(() => handled.length === 1, 5000, 'the handler')
      await sleep(100)
      expect(handled).toHaveLength(1)
      expect(reserve).not.toHaveBeenCalled()
      expect(complete).not.toHaveBeenCalled()
    } finally {
      await receiver.close()
    }
  })
})
