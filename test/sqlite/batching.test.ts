/**
 * The SQLite queue's batching, observed on real files: the group commit and
 * the WAL sync that must follow it before any enqueue resolves, and the
 * worker's passes (one transaction commits the outcomes of every handler
 * that finished and claims the next jobs). The crash windows these open are
 * in crash.test.ts.
 */
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import type { WalSync } from '../../src/internal/sqlite.js'
import { TEST_HOOKS, type QueueTestHooks } from '../../src/queues/sqlite/index.js'
import { sqliteQueue } from '../../src/sqlite.js'
import { sampleEvent, sleep, tempDir, waitFor } from './helpers.js'

const tmp = tempDir('batching')
afterAll(() => tmp.cleanup())

/** Wraps the queue's WAL sync so the test decides when each fdatasync may report back. */
function heldSync() {
  const held: Array<() => void> = []
  let opened = 0
  let syncs = 0
  const hooks: QueueTestHooks = {
    wrapWalSync(sync: WalSync): WalSync {
      opened++
      return {
        after(done) {
          sync.after((error) => {
            syncs++
            held.push(() => done(error))
          })
        },
        close: () => sync.close(),
      }
    },
  }
  return {
    options: { [TEST_HOOKS]: hooks },
    opened: () => opened,
    syncs: () => syncs,
    /** Lets the syncs that returned so far report back. */
    release: () => held.splice(0).forEach((report) => report()),
  }
}

function pendingRows(path: string): number {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare("SELECT COUNT(*) FROM hookguard_jobs WHERE state = 'pending'").pluck().get() as number
  } finally {
    db.close()
  }
}

describe('sqliteQueue group commit with synchronous: full', () => {
  it('resolves an enqueue only after an fdatasync of the WAL that began after its COMMIT', async () => {
    const path = tmp.file('held')
    const sync = heldSync()
    const queue = sqliteQueue({ path, ...sync.options })
    try {
      expect(sync.opened()).toBe(1)
      let resolved = 0
      const first = Promise.all(
        ['held:1', 'held:2'].map((key) => queue.enqueue(sampleEvent(key)).then(() => resolved++)),
      )
      await waitFor(() => sync.syncs() === 1, 5000, 'the first fdatasync')
      // Committed (another connection sees the rows) but not yet answered: the sync has not reported back.
      expect(pendingRows(path)).toBe(2)
      await sleep(30)
      expect(resolved).toBe(0)

      // Enqueues while that sync runs gather into the next commit, which waits for its own sync.
      const second = Promise.all(
        ['held:3', 'held:4', 'held:5'].map((key) => queue.enqueue(sampleEvent(key)).then(() => resolved++)),
      )
      await sleep(30)
      expect(queue.commitStats()).toEqual({ commits: 1, enqueued: 2 })
      sync.release()
      await first
      await waitFor(() => sync.syncs() === 2, 5000, 'the second fdatasync')
      expect(queue.commitStats()).toEqual({ commits: 2, enqueued: 5 })
      expect(resolved).toBe(2)
      sync.release()
      await second
      expect(resolved).toBe(5)
    } finally {
      const closing = queue.close()
      sync.release()
      await closing
    }
  })

  it('close waits for the running sync and commits what gathered meanwhile', async () => {
    const path = tmp.file('close')
    const sync = heldSync()
    const queue = sqliteQueue({ path, ...sync.options })
    const first = queue.enqueue(sampleEvent('close:1'))
    await waitFor(() => sync.syncs() === 1, 5000, 'the first fdatasync')
    const second = queue.enqueue(sampleEvent('close:2'))
    let closed = false
    const closing = queue.close().then(() => (closed = true))
    await sleep(30)
    expect(closed).toBe(false)
    sync.release()
    await first
    await waitFor(() => sync.syncs() === 2, 5000, 'the second fdatasync')
    sync.release()
    await Promise.all([second, closing])
    expect(pendingRows(path)).toBe(2)
  })

  it('syncs the WAL itself for a path or a shared connection; commits at NORMAL have no sync', async () => {
    const full = heldSync()
    const own = sqliteQueue({ path: tmp.file('own'), ...full.options })
    const database = new Database(tmp.file('shared'))
    const shared = sqliteQueue({ database, ...full.options })
    const normal = heldSync()
    const relaxed = sqliteQueue({ path: tmp.file('normal'), synchronous: 'normal', ...normal.options })
    try {
      expect(full.opened()).toBe(2)
      expect(normal.opened()).toBe(0)
      await relaxed.enqueue(sampleEvent('normal:1')) // resolves without any sync
      expect(normal.syncs()).toBe(0)
      // The queue still raises a shared connection to FULL (its other writes keep their fsync).
      expect(database.pragma('synchronous', { simple: true })).toBe(2)
    } finally {
      await Promise.all([own.close(), shared.close(), relaxed.close()])
      database.close()
    }
  })
})

describe('sqliteQueue worker passes', () => {
  it('commits the outcomes of every handler that finished together with the next claim', async () => {
    const path = tmp.file('passes')
    const seed = sqliteQueue({ path })
    await Promise.all(Array.from({ length: 10 }, (_, i) => seed.enqueue(sampleEvent(`pass:${i}`))))
    await seed.close()

    const passes: string[][] = []
    const hooks: QueueTestHooks = { beforePass: (keys) => void passes.push(keys) }
    const queue = sqliteQueue({ path, concurrency: 4, pollIntervalMs: 20, ...{ [TEST_HOOKS]: hooks } })
    const ran: string[] = []
    try {
      queue.process((event) => void ran.push(event.key))
      await waitFor(async () => (await queue.stats()).done === 10, 5000, 'ten done jobs')
      // 4 + 4 + 2 jobs: each pass commits the outcomes of a whole claim.
      expect(passes.map((keys) => keys.length)).toEqual([4, 4, 2])
      expect(passes.flat().sort()).toEqual([...ran].sort())
      expect(new Set(ran).size).toBe(10)
    } finally {
      await queue.close()
    }
  })

  it('a handler that is still running does not hold back the outcomes of those that finished', async () => {
    const path = tmp.file('slow')
    const passes: string[][] = []
    const hooks: QueueTestHooks = { beforePass: (keys) => void passes.push(keys) }
    const queue = sqliteQueue({ path, concurrency: 2, pollIntervalMs: 20, ...{ [TEST_HOOKS]: hooks } })
    let release!: () => void
    const slow = new Promise<void>((resolve) => (release = resolve))
    try {
      queue.process((event) => (event.key === 'slow:0' ? slow : undefined))
      await queue.enqueue(sampleEvent('slow:0'))
      await waitFor(async () => (await queue.stats()).running === 1, 5000, 'the slow job')
      await Promise.all(['slow:1', 'slow:2', 'slow:3'].map((key) => queue.enqueue(sampleEvent(key))))
      await waitFor(async () => (await queue.stats()).done === 3, 5000, 'the fast jobs')
      expect(await queue.stats()).toEqual({ pending: 0, running: 1, done: 3, dead: 0 })
      release()
      await waitFor(async () => (await queue.stats()).done === 4, 5000, 'the slow job to finish')
      expect(passes.flat().sort()).toEqual(['slow:0', 'slow:1', 'slow:2', 'slow:3'])
    } finally {
      release()
      await queue.close()
    }
  })
})
