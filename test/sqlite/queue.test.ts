import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import type { WebhookEvent } from '../../src/types/index.js'
import { fixedClock } from '../../src/testing.js'
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
      expect(queue.commitStats()).toEqual({ commits: 1, enqueued: 50 })
      expect(await queue.stats()).toEqual({ pending: 50, running: 0, done: 0, dead: 0 })
      await queue.enqueue(sampleEvent('group:late'))
      expect(queue.commitStats()).toEqual({ commits: 2, enqueued: 51 })
      expect((await queue.stats()).pending).toBe(51)
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
      expect((await queue.stats()).pending).toBe(2)
      expect(queue.commitStats().commits).toBe(1)
    } finally {
      await queue.close()
    }
  })

  it('a duplicate key inside one batch, or of a done job, is a no-op; a dead key is replaced by the new event', async () => {
    const path = tmp.file('idempotent')
    const queue = sqliteQueue({ path, attempts: 1, pollIntervalMs: 20, logger: false })
    const runs: string[] = []
    let healthy = false
    try {
      await Promise.all([
        queue.enqueue(sampleEvent('same:a', { payload: 1 })),
        queue.enqueue(sampleEvent('same:a', { payload: 2 })),
      ])
      queue.process((event) => {
        runs.push(`${event.key}#${event.attempt}=${JSON.stringify(event.payload)}`)
        if (event.key === 'same:dead' && !healthy) throw new Error('nope')
      })
      await queue.enqueue(sampleEvent('same:dead', { payload: 'first' }))
      await waitFor(() => runs.length === 2, 5000, 'done and dead')
      await waitFor(async () => (await queue.stats()).dead === 1, 5000, 'the dead row')
      // A dead row keeps its event for inspection.
      const db = open(path)
      const payloads = () => db.prepare('SELECT key, state, payload FROM hookguard_jobs ORDER BY key').all()
      expect(payloads()).toEqual([
        { key: 'same:a', state: 'done', payload: 'null' },
        { key: 'same:dead', state: 'dead', payload: '"first"' },
      ])
      healthy = true
      await queue.enqueue(sampleEvent('same:a', { payload: 3 }))
      await Promise.all([
        queue.enqueue(sampleEvent('same:dead', { payload: 'second' })),
        queue.enqueue(sampleEvent('same:dead', { payload: 'third' })),
      ])
      await waitFor(() => runs.length === 3, 5000, 'the revived job')
      await sleep(150)
      expect(runs.sort()).toEqual(['same:a#1=1', 'same:dead#1="first"', 'same:dead#1="second"'])
      expect(await queue.stats()).toEqual({ pending: 0, running: 0, done: 2, dead: 0 })
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

  it('dates retries and dead letters by its clock: a retry is due only when the clock reaches it', async () => {
    const path = tmp.file('clock')
    const clock = fixedClock(1_000_000)
    const runs: number[] = []
    const queue = sqliteQueue({
      path,
      now: clock,
      attempts: 2,
      backoffMs: 60_000,
      maxBackoffMs: 60_000,
      pollIntervalMs: 20,
      onDeadLetter: () => {},
    })
    try {
      queue.process((event) => {
        runs.push(event.attempt)
        throw new TypeError(`broken ${event.attempt}`)
      })
      await queue.enqueue(sampleEvent('clock:1', { deliveryId: 'dlv_1', meta: { tenant: 'acme' } }))
      await waitFor(() => runs.length === 1, 5000, 'the first attempt')
      await sleep(150)
      expect(runs).toEqual([1]) // the retry is 30-60 s away on the queue's clock
      clock.advance(60_000)
      await waitFor(() => runs.length === 2, 5000, 'the retry')
      await waitFor(async () => (await queue.stats()).dead === 1, 5000, 'the dead letter')
      expect(await queue.deadLetters()).toEqual([
        {
          key: 'clock:1',
          event: { ...sampleEvent('clock:1', { deliveryId: 'dlv_1', meta: { tenant: 'acme' } }), attempt: 2 },
          error: 'TypeError: broken 2',
          attempts: 2,
          failedAt: 1_060_000,
        },
      ])
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
      await waitFor(async () => (await a.stats()).done === 1, 5000, 'the slow job')
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
      expect(await queue.stats()).toMatchObject({ dead: 1, running: 0 })
      expect((await queue.deadLetters())[0]).toMatchObject({
        key: 'ghost:1',
        event: { key: 'ghost:1', attempt: 3 },
        attempts: 3,
        error: expect.stringMatching(/worker stopped/),
      })
    } finally {
      await queue.close()
    }
  })

  it('keeps done jobs for their retention on its clock, then forgets them: purge deletes them and the key runs again', async () => {
    const path = tmp.file('retention')
    const clock = fixedClock(1_000_000)
    const runs: string[] = []
    const queue = sqliteQueue({
      path,
      now: clock,
      retentionMs: 60_000,
      pollIntervalMs: 20,
      purgeBatchSize: 2,
      purgeIntervalMs: 3_600_000,
    })
    try {
      queue.process((event) => void runs.push(event.key))
      await Promise.all(['r:1', 'r:2', 'r:3'].map((key) => queue.enqueue(sampleEvent(key))))
      await waitFor(async () => (await queue.stats()).done === 3, 5000, 'three done jobs')
      clock.advance(59_999)
      await queue.enqueue(sampleEvent('r:1'))
      expect(queue.purge()).toBe(0)
      await sleep(50)
      expect(runs.filter((k) => k === 'r:1')).toHaveLength(1)
      clock.advance(1)
      expect(queue.purge()).toBe(2) // bounded by purgeBatchSize
      expect((await queue.stats()).done).toBe(1)
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

  it('upgrades a jobs table created by the previous version in place, keeping its jobs', async () => {
    const path = tmp.file('upgrade')
    const db = open(path)
    // The table and indexes exactly as the previous version created them.
    db.exec(`CREATE TABLE hookguard_jobs (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
        event_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        type TEXT,
        timestamp INTEGER,
        received_at INTEGER NOT NULL,
        payload TEXT NOT NULL,
        headers TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        run_at INTEGER NOT NULL,
        claimed_by TEXT,
        claimed_until INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER
      );
      CREATE INDEX hookguard_jobs_due ON hookguard_jobs (state, run_at);
      CREATE INDEX hookguard_jobs_claims ON hookguard_jobs (state, claimed_until);
      CREATE INDEX hookguard_jobs_expires_at ON hookguard_jobs (expires_at) WHERE expires_at IS NOT NULL;`)
    const insert = db.prepare(
      `INSERT INTO hookguard_jobs (key, state, event_id, provider, received_at, payload, headers, attempt, run_at, last_error, created_at, updated_at)
       VALUES (?, ?, ?, 'stripe', 5, '{"old":true}', '{}', ?, 0, ?, 0, 7)`,
    )
    insert.run('old:pending', 'pending', 'evt_p', 0, null)
    insert.run('old:dead', 'dead', 'evt_d', 5, 'Error: long ago')
    db.close()

    const runs: WebhookEvent[] = []
    const queue = sqliteQueue({ path, pollIntervalMs: 20 })
    try {
      const columns = (open(path).pragma('table_info(hookguard_jobs)') as Array<{ name: string }>).map((c) => c.name)
      expect(columns.slice(-2)).toEqual(['delivery_id', 'meta'])
      expect(await queue.deadLetters()).toEqual([
        {
          key: 'old:dead',
          event: {
            id: 'evt_d',
            key: 'old:dead',
            provider: 'stripe',
            receivedAt: 5,
            payload: { old: true },
            headers: {},
            attempt: 5,
          },
          error: 'Error: long ago',
          attempts: 5,
          failedAt: 7,
        },
      ])
      queue.process((event) => void runs.push(event))
      await queue.enqueue(sampleEvent('new:1', { deliveryId: 'dlv_new', meta: { traceparent: 'tp' } }))
      await waitFor(() => runs.length === 2, 5000, 'the old and the new job')
      expect(runs.find((e) => e.key === 'old:pending')).toStrictEqual({
        id: 'evt_p',
        key: 'old:pending',
        provider: 'stripe',
        receivedAt: 5,
        payload: { old: true },
        headers: {},
        attempt: 1,
      })
      expect(runs.find((e) => e.key === 'new:1')).toMatchObject({ deliveryId: 'dlv_new', meta: { traceparent: 'tp' } })
    } finally {
      await queue.close()
    }
    // Opening the upgraded table again changes nothing.
    await sqliteQueue({ path }).close()
  })

  it('reports worker errors that are not the handler’s to onError (here: its shared connection closed under it)', async () => {
    const database = open(tmp.file('on-error'))
    const errors: unknown[] = []
    const queue = sqliteQueue({ database, pollIntervalMs: 20, onError: (error) => errors.push(error) })
    queue.process(() => {})
    database.close()
    await waitFor(() => errors.length > 0, 5000, 'the error')
    expect(String(errors[0])).toMatch(/database connection was closed; the worker stopped/)
    await queue.close()
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
    expect(() => sqliteQueue({ path, onError: 'log' as never })).toThrow(/onError/)
    expect(() => sqliteQueue({ path, now: 'now' as never })).toThrow(/now must be a function/)
    expect(() => sqliteQueue({ path, retentionMs: 0 })).toThrow(/retentionMs/)
    expect(() => sqliteQueue({ database: {} as never })).toThrow(/better-sqlite3 Database/)
    const closed = open(path)
    closed.close()
    expect(() => sqliteQueue({ database: closed })).toThrow(/closed/)
    const db = open(path)
    db.exec('CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT)')
    expect(() => sqliteQueue({ database: db, table: 'jobs' })).toThrow(/other columns/)
    // Someone else's table is refused as it is, never altered.
    expect((db.pragma('table_info(jobs)') as Array<{ name: string }>).map((c) => c.name)).toEqual(['id', 'name'])
    db.close()
  })
})
