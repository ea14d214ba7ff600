import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import type { WebhookEvent } from '../../src/types/index.js'
import { sampleEvent, sleep, tempDir, waitFor } from './helpers.js'

const tmp = tempDir('queue')
afterAll(() => tmp.cleanup())

function open(path: string): Database.Database {
  return new Database(path)
}

describe('sqliteQueue', () => {
  it('commits the enqueues of one event-loop turn in one transaction, and resolves them all after it', async () => {
    const path = tmp.file('group')
    const queue = sqliteQueue({ path })
    try {
      await Promise.all(Array.from({ length: 50 }, (_, i) => queue.enqueue(sampleEvent(`group:${i}`))))
      expect(queue.stats()).toMatchObject({ commits: 1, enqueued: 50, pending: 50 })
      await queue.enqueue(sampleEvent('group:late'))
      expect(queue.stats()).toMatchObject({ commits: 2, enqueued: 51, pending: 51 })
    } finally {
      await queue.close()
    }
  })

  it('an invalid event fails its own enqueue only, not the rest of its batch', async () => {
    const queue = sqliteQueue({ path: tmp.file('bad-event') })
    try {
      const results = await Promise.allSettled([
        queue.enqueue(sampleEvent('bad:ok-1')),
        queue.enqueue(sampleEvent('bad:broken', { receivedAt: undefined as never })),
        queue.enqueue(sampleEvent('bad:ok-2')),
      ])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
      expect(queue.stats()).toMatchObject({ pending: 2, commits: 1 })
    } finally {
      await queue.close()
    }
  })

  it('a duplicate key inside one batch, or of a done or dead job, is a no-op', async () => {
    const path = tmp.file('idempotent')
    const queue = sqliteQueue({ path, attempts: 1, pollIntervalMs: 20 })
    const runs: string[] = []
    try {
      await Promise.all([
        queue.enqueue(sampleEvent('same:a', { payload: 1 })),
        queue.enqueue(sampleEvent('same:a', { payload: 2 })),
      ])
      queue.process((event) => {
        runs.push(`${event.key}=${JSON.stringify(event.payload)}`)
        if (event.key === 'same:dead') throw new Error('nope')
      })
      await queue.enqueue(sampleEvent('same:dead'))
      await waitFor(() => queue.stats().done === 1 && queue.stats().dead === 1, 5000, 'done and dead')
      await queue.enqueue(sampleEvent('same:a', { payload: 3 }))
      await queue.enqueue(sampleEvent('same:dead'))
      await sleep(150)
      expect(runs.sort()).toEqual(['same:a=1', 'same:dead={"id":"same:dead","amount":4200}'])
      expect(queue.stats()).toMatchObject({ pending: 0, running: 0, done: 1, dead: 1 })
      // A done row only blocks its key; a dead one keeps its event for inspection.
      const db = open(path)
      expect(db.prepare('SELECT key, payload FROM hookguard_jobs ORDER BY key').all()).toEqual([
        { key: 'same:a', payload: 'null' },
        { key: 'same:dead', payload: '{"id":"same:dead","amount":4200}' },
      ])
      db.close()
    } finally {
      await queue.close()
    }
  })

  it('rejects enqueue after close, and commits what was handed over before close', async () => {
    const path = tmp.file('close')
    const queue = sqliteQueue({ path })
    const before = queue.enqueue(sampleEvent('close:before'))
    await queue.close()
    await expect(before).resolves.toBeUndefined()
    await expect(queue.enqueue(sampleEvent('close:after'))).rejects.toThrow(/closed/)
    const db = open(path)
    expect(db.prepare('SELECT key FROM hookguard_jobs').pluck().all()).toEqual(['close:before'])
    db.close()
  })

  it('a restart picks up pending jobs and scheduled retries where the last process left off', async () => {
    const path = tmp.file('restart')
    const first = sqliteQueue({ path, backoffMs: 100, maxBackoffMs: 100, pollIntervalMs: 20 })
    const attempts: string[] = []
    first.process(async (event) => {
      attempts.push(`${event.key}#${event.attempt}`)
      throw new Error('first process fails')
    })
    await first.enqueue(sampleEvent('restart:retry'))
    await waitFor(() => attempts.length === 1, 5000, 'the first attempt')
    await first.close()
    await new Promise((resolve) => setImmediate(resolve))

    const pending = sqliteQueue({ path })
    await pending.enqueue(sampleEvent('restart:new'))
    await pending.close()

    const second = sqliteQueue({ path, backoffMs: 100, maxBackoffMs: 100, pollIntervalMs: 20 })
    second.process((event) => void attempts.push(`${event.key}#${event.attempt}`))
    await waitFor(() => attempts.length === 3, 5000, 'the restarted worker')
    await second.close()
    expect(attempts.sort()).toEqual(['restart:new#1', 'restart:retry#1', 'restart:retry#2'])
  })

  it('lists dead letters with their last error, and retryDead runs one again with fresh attempts', async () => {
    const path = tmp.file('dead')
    const dead: Array<{ event: WebhookEvent; error: unknown }> = []
    let healthy = false
    const runs: number[] = []
    const queue = sqliteQueue({
      path,
      attempts: 2,
      backoffMs: 10,
      maxBackoffMs: 10,
      pollIntervalMs: 20,
      onDeadLetter: (event, error) => dead.push({ event, error }),
    })
    try {
      queue.process((event) => {
        runs.push(event.attempt)
        if (!healthy) throw new TypeError(`broken ${event.attempt}`)
      })
      await queue.enqueue(sampleEvent('dead:one', { payload: { keep: 'me' } }))
      await waitFor(() => dead.length === 1, 5000, 'the dead letter')
      const [letter] = queue.deadLetters()
      expect(letter).toMatchObject({
        event: { key: 'dead:one', attempt: 2, payload: { keep: 'me' } },
        error: 'TypeError: broken 2',
      })
      expect(letter!.failedAt).toBeGreaterThan(0)
      expect(queue.retryDead('dead:missing')).toBe(false)
      healthy = true
      expect(queue.retryDead('dead:one')).toBe(true)
      expect(queue.retryDead('dead:one')).toBe(false)
      await waitFor(() => queue.stats().done === 1, 5000, 'the requeued job')
      expect(runs).toEqual([1, 2, 1])
      expect(queue.deadLetters()).toEqual([])
    } finally {
      await queue.close()
    }
  })

  it('renews a running claim, so a slow handler is not taken over by another worker', async () => {
    const path = tmp.file('heartbeat')
    const runs: string[] = []
    const a = sqliteQueue({ path, visibilityTimeoutMs: 300, pollIntervalMs: 20 })
    const b = sqliteQueue({ path, visibilityTimeoutMs: 300, pollIntervalMs: 20 })
    try {
      const slow = async (name: string, event: WebhookEvent) => {
        runs.push(`${name}:${event.attempt}`)
        await sleep(1200)
      }
      await a.enqueue(sampleEvent('slow:1'))
      a.process((event) => slow('a', event))
      await waitFor(() => runs.length === 1, 5000, 'the first run')
      b.process((event) => slow('b', event))
      await waitFor(() => a.stats().done === 1, 5000, 'the slow job')
      expect(runs).toEqual(['a:1'])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('dead-letters a job whose worker died during its last attempt instead of running it past the limit', async () => {
    const path = tmp.file('ghost')
    const seed = sqliteQueue({ path })
    await seed.enqueue(sampleEvent('ghost:1'))
    await seed.close()
    const db = open(path)
    // What a worker killed during attempt 3 of 3 leaves behind.
    db.prepare(
      "UPDATE hookguard_jobs SET state = 'running', attempt = 3, claimed_by = 'dead-worker', claimed_until = ?",
    ).run(Date.now() - 1)
    db.close()

    const dead: Array<{ event: WebhookEvent; error: unknown }> = []
    let runs = 0
    const queue = sqliteQueue({
      path,
      attempts: 3,
      pollIntervalMs: 20,
      onDeadLetter: (event, error) => dead.push({ event, error }),
    })
    try {
      queue.process(() => void runs++)
      await waitFor(() => dead.length === 1, 5000, 'the dead letter')
      expect(runs).toBe(0)
      expect(dead[0]!.event).toMatchObject({ key: 'ghost:1', attempt: 3 })
      expect(String(dead[0]!.error)).toMatch(/worker stopped/)
      expect(queue.stats()).toMatchObject({ dead: 1, running: 0 })
      expect(queue.deadLetters()[0]).toMatchObject({
        event: { key: 'ghost:1', attempt: 3 },
        error: expect.stringMatching(/worker stopped/),
      })
    } finally {
      await queue.close()
    }
  })

  it('keeps done jobs for their retention, then forgets them: purge deletes them and the key can be enqueued again', async () => {
    const path = tmp.file('retention')
    const runs: string[] = []
    const queue = sqliteQueue({
      path,
      retentionMs: 100,
      pollIntervalMs: 20,
      purgeBatchSize: 2,
      purgeIntervalMs: 3_600_000,
    })
    try {
      queue.process((event) => void runs.push(event.key))
      await Promise.all(['r:1', 'r:2', 'r:3'].map((key) => queue.enqueue(sampleEvent(key))))
      await waitFor(() => queue.stats().done === 3, 5000, 'three done jobs')
      await queue.enqueue(sampleEvent('r:1'))
      await sleep(50)
      expect(runs.filter((k) => k === 'r:1')).toHaveLength(1)
      await sleep(150)
      expect(queue.purge()).toBe(2) // bounded by purgeBatchSize
      expect(queue.stats().done).toBe(1)
      await queue.enqueue(sampleEvent('r:3')) // expired but not purged yet: replaced, runs again
      await queue.enqueue(sampleEvent('r:1')) // purged: a new job
      await waitFor(() => runs.length === 5, 5000, 'the re-enqueued jobs')
      expect(runs.sort()).toEqual(['r:1', 'r:1', 'r:2', 'r:3', 'r:3'])
    } finally {
      await queue.close()
    }
  })

  it('shares one file, or one connection, with sqliteStore', async () => {
    const path = tmp.file('shared')
    const database = open(path)
    const store = sqliteStore({ database })
    const queue = sqliteQueue({ database })
    const other = sqliteStore({ path })
    const reservation = await store.reserve('share:1', 30_000)
    expect(reservation.status).toBe('reserved')
    await queue.enqueue(sampleEvent('share:1'))
    expect((await other.reserve('share:1', 30_000)).status).toBe('in_flight')
    await queue.close()
    await store.close()
    await other.close()
    expect(database.open).toBe(true) // a connection the user passed stays theirs
    expect(database.prepare('SELECT COUNT(*) FROM hookguard_jobs').pluck().get()).toBe(1)
    database.close()
  })

  it('uses WAL and commits with synchronous=FULL by default, raising a shared connection but never lowering it', async () => {
    const path = tmp.file('durability')
    const queue = sqliteQueue({ path })
    const db = open(path)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.pragma('synchronous = NORMAL')
    const shared = sqliteQueue({ database: db })
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    db.pragma('synchronous = EXTRA')
    const relaxed = sqliteQueue({ database: db, synchronous: 'normal', table: 'relaxed_jobs' })
    expect(db.pragma('synchronous', { simple: true })).toBe(3)
    await Promise.all([queue.close(), shared.close(), relaxed.close()])
    db.close()
  })

  it('validates its options with a TypeError that says what to fix', () => {
    const path = tmp.file('options')
    expect(() => sqliteQueue({} as never)).toThrow(/exactly one of path .* or database/)
    expect(() => sqliteQueue({ path, database: open(path) })).toThrow(TypeError)
    expect(() => sqliteQueue({ path: ':memory:' })).toThrow(/not durable/)
    expect(() => sqliteQueue({ path, table: 'jobs; DROP TABLE x' })).toThrow(/plain SQL identifier/)
    expect(() => sqliteQueue({ path, attempts: 0 })).toThrow(/attempts/)
    expect(() => sqliteQueue({ path, concurrency: 1.5 })).toThrow(/concurrency/)
    expect(() => sqliteQueue({ path, synchronous: 'off' as never })).toThrow(/synchronous/)
    expect(() => sqliteQueue({ path, onDeadLetter: 'log' as never })).toThrow(/onDeadLetter/)
    expect(() => sqliteQueue({ database: {} as never })).toThrow(/better-sqlite3 Database/)
    const closed = open(path)
    closed.close()
    expect(() => sqliteQueue({ database: closed })).toThrow(/closed/)
    const db = open(path)
    db.exec('CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT)')
    expect(() => sqliteQueue({ database: db, table: 'jobs' })).toThrow(/other columns/)
    db.close()
  })
})
