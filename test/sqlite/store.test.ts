import Database from 'better-sqlite3'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteStore } from '../../src/sqlite.js'
import { fixedClock } from '../../src/testing.js'
import { checkAdvanceHistory, type AdvanceCall } from '../../src/conformance/store-history.js'
import { tempDir } from './helpers.js'

const tmp = tempDir('store')
afterAll(() => tmp.cleanup())
const CHILD = fileURLToPath(new URL('./store-child.ts', import.meta.url))

/**
 * Repeats a race (every run must pass its checks) until one run shows the two
 * processes really overlapped; on a loaded machine one may finish before the
 * other starts, and such a run proves nothing about concurrency.
 */
async function untilOverlap(run: () => Promise<boolean>, attempts = 5): Promise<void> {
  for (let i = 0; i < attempts; i++) if (await run()) return
  throw new Error(`the two processes never overlapped in ${attempts} runs`)
}

/** Runs store-child.ts processes, gives all one start time once all are ready, and returns their parsed output. */
async function race(...runs: string[][]): Promise<unknown[]> {
  const children = runs.map((args) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk) => (stdout += String(chunk)))
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)))
    const exited = new Promise<unknown>((resolve, reject) =>
      child.on('close', (code) =>
        code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`child ${code}: ${stderr}`)),
      ),
    )
    const ready = new Promise((resolve) => child.once('message', resolve))
    return { child, exited, ready: Promise.race([ready, exited]) }
  })
  await Promise.all(children.map((c) => c.ready))
  const startAt = Number(process.hrtime.bigint() / 1000n) + 200_000
  for (const { child } of children) child.send(startAt)
  return Promise.all(children.map((c) => c.exited))
}

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
    expect(() => sqliteStore({ path, logger: console.log as never })).toThrow(/logger must have/)
    expect(() => sqliteStore({ path, onError: 'log' as never })).toThrow(/onError must be a function/)
    const db = new Database(path)
    db.exec('CREATE TABLE keys (key TEXT PRIMARY KEY)')
    expect(() => sqliteStore({ database: db, table: 'keys' })).toThrow(/missing state, token, expires_at/)
    db.close()
  })

  it('forget re-admits a completed key across a restart; two processes racing for it: exactly one wins each key', async () => {
    const n = 2000
    await untilOverlap(async () => {
      const path = tmp.file('forget-race')
      const store = sqliteStore({ path })
      for (let i = 0; i < n; i++) {
        const r = await store.reserve(`race:${i}`, 30_000)
        if (r.status !== 'reserved') throw new Error('expected reserved')
        await store.complete(`race:${i}`, r.token, 60_000)
      }
      await store.close()
      const reopened = sqliteStore({ path })
      for (let i = 0; i < n; i++) expect(await reopened.forget(`race:${i}`)).toBe(true)
      await reopened.close()
      const [a, b] = (await race(
        ['reserve', path, String(n), 'asc'],
        ['reserve', path, String(n), 'desc'],
      )) as string[][]
      expect(new Set([...a!, ...b!]).size).toBe(n)
      expect(a!.length + b!.length).toBe(n)
      // Both won some keys: the two processes really overlapped.
      return Math.min(a!.length, b!.length) > 0
    })
  }, 90_000)

  it('advance is one compare-and-set across processes: two racing processes on shuffled versions', async () => {
    await untilOverlap(async () => {
      const path = tmp.file('advance-race')
      await sqliteStore({ path }).close() // creates the tables before the race
      const histories = (await race(['advance', path, '11'], ['advance', path, '12'])) as AdvanceCall[][]
      const calls = histories.flat()
      expect(calls).toHaveLength(2 * 3 * 100)
      checkAdvanceHistory(calls, 'two processes')
      const store = sqliteStore({ path })
      const max = 1_726_000_000_000 + 99 / 4
      for (const entity of ['race:a', 'race:b', 'race:c']) {
        expect(await store.advance(entity, max - 0.125, 60_000)).toBe(false)
        expect(await store.advance(entity, max, 60_000)).toBe(true)
      }
      await store.close()
      const [first, second] = histories.map((h) => [h[0]!.start, h.at(-1)!.end] as const)
      return first![0] < second![1] && second![0] < first![1]
    })
  }, 90_000)

  it('keeps ordering records in <table>_versions, expires them by the injected clock, and purges them', async () => {
    const clock = fixedClock(1_000_000)
    const path = tmp.file('versions')
    const store = sqliteStore({ path, now: clock, table: 'hooks' })
    try {
      expect(await store.advance('e1', 1_726_000_000_123.5, 1000)).toBe(true)
      expect(await store.advance('e2', 2 ** 53, 5000)).toBe(true)
      clock.advance(999)
      expect(await store.advance('e1', 1_726_000_000_123.25, 1000)).toBe(false)
      const db = new Database(path, { readonly: true })
      expect(db.prepare('SELECT entity, version, expires_at FROM hooks_versions ORDER BY entity').all()).toEqual([
        { entity: 'e1', version: 1_726_000_000_123.5, expires_at: 1_001_000 },
        { entity: 'e2', version: 2 ** 53, expires_at: 1_005_000 },
      ])
      clock.advance(1)
      expect(store.purge()).toBe(1)
      expect(db.prepare('SELECT entity FROM hooks_versions').pluck().all()).toEqual(['e2'])
      db.close()
      expect(await store.advance('e1', 1, 1000)).toBe(true)
    } finally {
      await store.close()
    }
  })

  it('adds the versions table to a file made by an earlier version of the store', async () => {
    const path = tmp.file('upgrade')
    const db = new Database(path)
    db.exec(`CREATE TABLE hookguard_dedupe (key TEXT PRIMARY KEY NOT NULL, state TEXT NOT NULL CHECK (state IN ('reserved', 'done')),
      token TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID`)
    db.prepare(`INSERT INTO hookguard_dedupe VALUES ('old:done', 'done', 't', ?)`).run(Date.now() + 60_000)
    db.close()
    const store = sqliteStore({ path })
    try {
      expect((await store.reserve('old:done', 30_000)).status).toBe('duplicate')
      expect(await store.advance('e', 1, 60_000)).toBe(true)
      expect(await store.forget('old:done')).toBe(true)
      expect((await store.reserve('old:done', 30_000)).status).toBe('reserved')
    } finally {
      await store.close()
    }
  })

  it('a failed purge is logged and passed to onError, and the call that triggered it still succeeds', async () => {
    const path = tmp.file('purge-error')
    const warnings: Array<Record<string, unknown>> = []
    const errors: unknown[] = []
    const store = sqliteStore({
      path,
      logger: { warn: (fields) => void warnings.push(fields), error: () => {} },
      onError: (error) => void errors.push(error),
    })
    try {
      // Another connection breaks the store's housekeeping (the versions table is gone).
      const db = new Database(path)
      db.exec('DROP TABLE hookguard_dedupe_versions')
      db.close()
      expect((await store.reserve('k', 30_000)).status).toBe('reserved')
      expect(errors).toHaveLength(1)
      expect(String(errors[0])).toMatch(/no such table/)
      expect(warnings).toEqual([{ error: expect.stringMatching(/no such table/) }])
      expect((await store.reserve('k2', 30_000)).status).toBe('reserved') // not retried before the interval
      expect(errors).toHaveLength(1)
    } finally {
      await store.close()
    }
  })

  it('keys: a 1 MiB multibyte key works; NUL is kept; a lone surrogate is written as invalid UTF-8 and reads back changed', async () => {
    const path = tmp.file('keys')
    const store = sqliteStore({ path })
    try {
      const big = `stripe:default:${'é💥'.repeat(174_763)}`
      expect(Buffer.byteLength(big)).toBeGreaterThan(1024 * 1024)
      const first = await store.reserve(big, 30_000)
      if (first.status !== 'reserved') throw new Error('expected reserved')
      expect(await store.complete(big, first.token, 60_000)).toBe(true)
      expect((await store.reserve(big, 30_000)).status).toBe('duplicate')
      expect((await store.reserve('nul:a\u0000b', 30_000)).status).toBe('reserved')
      expect((await store.reserve('nul:a\u0000c', 30_000)).status).toBe('reserved')
      expect((await store.reserve('lone:\uD800', 30_000)).status).toBe('reserved')
      // better-sqlite3 writes each surrogate as its own 3 bytes (not valid UTF-8): the two keys stay
      // apart, but a key read back from the file (as a queue does) is no longer the key that was written.
      expect((await store.reserve('lone:\uDC00', 30_000)).status).toBe('reserved')
      const db = new Database(path, { readonly: true })
      const rows = db
        .prepare(`SELECT key, hex(key) AS hex FROM hookguard_dedupe WHERE key LIKE 'lone:%' ORDER BY 2`)
        .all()
      expect(rows).toEqual([
        { key: 'lone:\uFFFD\uFFFD\uFFFD', hex: '6C6F6E653AEDA080' },
        { key: 'lone:\uFFFD\uFFFD\uFFFD', hex: '6C6F6E653AEDB080' },
      ])
      db.close()
    } finally {
      await store.close()
    }
  })
})
