import Database from 'better-sqlite3'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { createArchiveRecorder } from '../../src/archive/recorder.js'
import { sqliteArchive, type SqliteArchive } from '../../src/archive/sqlite.js'
import type { DeliveryArchive } from '../../src/types/index.js'
import { tempDir } from '../sqlite/helpers.js'
import { describeArchiveConformance, rejectedRecord, sampleRecord } from './conformance.js'

const tmp = tempDir('archive')
afterAll(() => tmp.cleanup())

describeArchiveConformance('sqliteArchive (file)', {
  make: (options) => sqliteArchive({ path: tmp.file('archive'), ...options }),
  destroy: (archive) => archive.close?.(),
})

const connections = new WeakMap<DeliveryArchive, Database.Database>()
describeArchiveConformance('sqliteArchive (your connection, custom table)', {
  make(options) {
    const database = new Database(tmp.file('borrowed'))
    const archive = sqliteArchive({ database, table: 'my_deliveries', ...options })
    connections.set(archive, database)
    return archive
  },
  async destroy(archive) {
    await archive.close?.()
    connections.get(archive)?.close()
  },
})

describeArchiveConformance('sqliteArchive (file, writes on the calling thread)', {
  make: (options) => sqliteArchive({ path: tmp.file('inline'), worker: false, ...options }),
  destroy: (archive) => archive.close?.(),
})

describe('sqliteArchive', () => {
  it('keeps records, bodies and counts across a reopen of the file', async () => {
    const path = tmp.file('reopen')
    const first = sqliteArchive({ path })
    const record = sampleRecord({ body: new Uint8Array([0, 255, 10, 13]), bodySize: 4 })
    await first.write([record, rejectedRecord()])
    await first.progress([{ deliveryId: record.deliveryId, state: 'handled', attempts: 1, at: record.receivedAt + 5 }])
    await first.close()
    const second = sqliteArchive({ path })
    expect(Array.from((await second.get(record.deliveryId))!.body!)).toEqual([0, 255, 10, 13])
    expect(await second.stats()).toMatchObject({
      total: 2,
      byOutcome: { accepted: 1, rejected: 1 },
      byState: { handled: 1 },
    })
    await second.close()
  })

  it('shares one file with another connection: a second archive on it reads what the first wrote', async () => {
    const path = tmp.file('shared')
    const writer = sqliteArchive({ path })
    const reader = sqliteArchive({ path })
    const record = sampleRecord()
    await writer.write([record])
    expect((await reader.get(record.deliveryId))?.deliveryId).toBe(record.deliveryId)
    expect((await reader.stats()).total).toBe(1)
    await writer.close()
    await reader.close()
  })

  it('opens its own connection in WAL mode with synchronous NORMAL, and leaves a borrowed one at its level', async () => {
    const path = tmp.file('pragmas')
    const archive = sqliteArchive({ path })
    const check = new Database(path)
    expect(check.pragma('journal_mode', { simple: true })).toBe('wal')
    await archive.close()
    check.close()
    const database = new Database(tmp.file('pragmas-borrowed'))
    database.pragma('synchronous = FULL')
    const borrowed = sqliteArchive({ database })
    expect(database.pragma('synchronous', { simple: true })).toBe(2)
    await borrowed.close()
    expect(database.open).toBe(true)
    database.close()
  })

  it('refuses a table of the same name with other columns, naming the fix', () => {
    const database = new Database(tmp.file('clash'))
    database.exec('CREATE TABLE hookguard_archive (id TEXT)')
    expect(() => sqliteArchive({ database })).toThrow(/exists with other columns.*choose another table name/)
    database.close()
  })

  it('refuses bad options at construction', () => {
    expect(() => sqliteArchive({ path: tmp.file('x'), table: 'bad name' })).toThrow(TypeError)
    expect(() => sqliteArchive({ path: ':memory:' })).toThrow(/not durable/)
    expect(() => sqliteArchive({} as never)).toThrow(/exactly one of path/)
    expect(() => sqliteArchive({ path: tmp.file('x'), maxBodyBytes: 1.5 })).toThrow(/maxBodyBytes/)
    expect(() => sqliteArchive({ path: tmp.file('x'), purgeBatchSize: 0 })).toThrow(/purgeBatchSize/)
  })

  it('purges in bounded batches and still deletes everything old in one call', async () => {
    const now = Date.UTC(2025, 0, 31)
    const archive: SqliteArchive = sqliteArchive({
      path: tmp.file('purge'),
      purgeBatchSize: 7,
      retentionMs: 1000,
      now: () => now,
    })
    await archive.write(Array.from({ length: 30 }, (_, i) => sampleRecord({ receivedAt: now - 5000 - i })))
    await archive.write([sampleRecord({ receivedAt: now })])
    expect(await archive.purge()).toBe(30)
    expect(await archive.stats()).toMatchObject({ total: 1 })
    await archive.close()
  })

  it.each([
    ['without close()', [], 'written\n'],
    ['after close()', ['close'], 'written\nclosed\n'],
  ])('lets the process end by itself after awaited writes, %s', async (_title, args, expected) => {
    const path = tmp.file('exit')
    const script = new URL('./fixtures/write-and-exit.ts', import.meta.url).pathname
    const child = spawn(process.execPath, ['--import', 'tsx', script, path, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    const [code] = await once(child, 'exit')
    clearTimeout(timer)
    expect(out).toBe(expected)
    expect(code).toBe(0)
    const check = new Database(path, { readonly: true })
    expect(check.prepare('SELECT COUNT(*) AS n FROM hookguard_archive').get()).toEqual({ n: 25 })
    check.close()
  })

  it('rejects a write the database refuses (locked by another process) and the recorder counts it', async () => {
    const path = tmp.file('locked')
    const archive = sqliteArchive({ path, busyTimeoutMs: 20 })
    const locker = new Database(path)
    locker.exec('BEGIN EXCLUSIVE')
    try {
      await expect(archive.write([sampleRecord()])).rejects.toThrow(/database is locked/)
      const logger = { error: vi.fn(), warn: vi.fn() }
      const recorder = createArchiveRecorder(archive, { logger })
      for (let i = 0; i < 3; i++) recorder.record(sampleRecord())
      await recorder.flush()
      expect(recorder.stats()).toMatchObject({ written: 0, failed: 3 })
      expect(logger.error).toHaveBeenCalledTimes(1)
      expect(String(logger.error.mock.calls[0]![0].error)).toMatch(/database is locked/)
    } finally {
      locker.exec('ROLLBACK')
      locker.close()
    }
    const record = sampleRecord()
    await archive.write([record])
    expect(await archive.get(record.deliveryId)).toBeDefined()
    await archive.close()
  })

  it('keeps counts right after rows are deleted by hand, from the next archive write on', async () => {
    const path = tmp.file('manual')
    const archive = sqliteArchive({ path })
    const records = Array.from({ length: 10 }, () => sampleRecord())
    await archive.write(records)
    const other = new Database(path)
    other
      .prepare('DELETE FROM hookguard_archive WHERE delivery_id IN (?, ?, ?)')
      .run(...records.slice(0, 3).map((r) => r.deliveryId))
    other.close()
    await archive.write([sampleRecord()])
    expect(await archive.stats()).toMatchObject({ total: 8, byOutcome: { accepted: 8 } })
    await archive.close()
  })

  it('refuses worker: true with a connection you pass', () => {
    const database = new Database(tmp.file('worker-db'))
    expect(() => sqliteArchive({ database, worker: true })).toThrow(/worker: true needs path/)
    expect(() => sqliteArchive({ path: tmp.file('w'), worker: 'yes' as never })).toThrow(/worker must be true or false/)
    database.close()
  })

  it('is closed after close(): calls reject', async () => {
    const archive = sqliteArchive({ path: tmp.file('closed') })
    await archive.close()
    await expect(archive.write([sampleRecord()])).rejects.toThrow(/closed/)
    await expect(archive.list()).rejects.toThrow(/closed/)
  })
})
