import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { migratePostgresArchive, postgresArchive, type PostgresArchive } from '../../src/archive/postgres.js'
import { createArchiveRecorder } from '../../src/archive/recorder.js'
import { DATABASE_URL, describeWithPostgres } from '../support/services.js'
import { describeArchiveConformance, rejectedRecord, sampleRecord } from './conformance.js'

// One table per archive so cases never share rows; all dropped at the end.
const base = `hg_arch_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
let tables = 0
const created: string[] = []
const nextTable = (): string => {
  const table = `${base}_${tables++}`
  created.push(table)
  return table
}

describeWithPostgres('postgresArchive on PostgreSQL', () => {
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 3 })
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 6 })

  beforeAll(async () => {
    await admin.query('SELECT 1')
  })
  afterAll(async () => {
    for (const table of created) {
      await admin.query(`DROP TABLE IF EXISTS "${table}", "${table}_counts"`)
      await admin.query(`DROP FUNCTION IF EXISTS "${table}_count"()`)
    }
    await admin.query(`DROP SCHEMA IF EXISTS ${base}_schema CASCADE`)
    await pool.end()
    await admin.end()
  })

  describeArchiveConformance('postgresArchive', {
    async make(options) {
      const archive = postgresArchive({ pool, table: nextTable(), ...options })
      await archive.migrate()
      return archive
    },
  })

  describePostgresSpecifics(admin, pool)
})

function describePostgresSpecifics(admin: pg.Pool, pool: pg.Pool): void {
  describe('postgresArchive', () => {
    it('with the table missing: one log line naming the migration, records counted as failed, nothing thrown', async () => {
      const logger = { error: vi.fn(), warn: vi.fn() }
      const table = nextTable()
      const archive = postgresArchive({ pool, table, logger })
      const recorder = createArchiveRecorder(archive, { logger, batchSize: 5, flushIntervalMs: 10 })
      for (let i = 0; i < 23; i++) recorder.record(sampleRecord())
      await recorder.flush()
      recorder.record(rejectedRecord())
      await recorder.flush()
      expect(recorder.stats()).toMatchObject({ written: 0, failed: 24, pending: 0 })
      expect(logger.error).toHaveBeenCalledTimes(1)
      const [fields, message] = logger.error.mock.calls[0]!
      expect(message).toContain(`migratePostgresArchive(pool, { table: '${table}' })`)
      expect(fields).toMatchObject({ table })
      expect(logger.warn).not.toHaveBeenCalled()
      // Direct calls reject with the same clear message (and log nothing more).
      await expect(archive.list()).rejects.toThrow(/does not exist; run migratePostgresArchive/)
      expect(logger.error).toHaveBeenCalledTimes(1)
      // After the migration, records go through.
      await migratePostgresArchive(admin, { table })
      recorder.record(sampleRecord())
      await recorder.flush()
      expect(recorder.stats()).toMatchObject({ written: 1, failed: 24 })
      expect((await archive.stats()).total).toBe(1)
      await recorder.close()
    })

    it('migrates idempotently, from several instances at once', async () => {
      const table = nextTable()
      await Promise.all([
        migratePostgresArchive(admin, { table }),
        migratePostgresArchive(pool, { table }),
        migratePostgresArchive(pool, { table }),
      ])
      await migratePostgresArchive(pool, { table })
      const archive = postgresArchive({ pool, table })
      await archive.write([sampleRecord()])
      expect((await archive.stats()).total).toBe(1)
    })

    it('keeps counts exact under concurrent writers, progress and a manual DELETE', async () => {
      const table = nextTable()
      await migratePostgresArchive(admin, { table })
      const other = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
      const a = postgresArchive({ pool, table })
      const b = postgresArchive({ pool: other, table })
      const records = Array.from({ length: 400 }, (_, i) =>
        sampleRecord({ receivedAt: 1_750_000_000_000 + (i % 40) * 1000 }),
      )
      const batches = Array.from({ length: 20 }, (_, i) => records.slice(i * 20, i * 20 + 20))
      await Promise.all(batches.map((batch, i) => (i % 2 ? a : b).write(batch)))
      await Promise.all(
        batches.map((batch, i) =>
          (i % 2 ? b : a).progress(
            batch.map((r) => ({
              deliveryId: r.deliveryId,
              state: 'handled' as const,
              attempts: 1,
              at: r.receivedAt + 1,
            })),
          ),
        ),
      )
      expect(await a.stats()).toMatchObject({ total: 400, byState: { handled: 400 } })
      await admin.query(`DELETE FROM "${table}" WHERE delivery_id = ANY($1)`, [
        records.slice(0, 7).map((r) => r.deliveryId),
      ])
      expect(await b.stats()).toMatchObject({ total: 393, byState: { handled: 393 } })
      await other.end()
    })

    it('works on a single pg Client (queries one at a time) and in a schema', async () => {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${base}_schema`)
      const table = `${base}_schema.archive`
      const client = new pg.Client({ connectionString: DATABASE_URL })
      await client.connect()
      try {
        const archive: PostgresArchive = postgresArchive({ pool: client, table })
        await archive.migrate()
        expect(archive.table).toBe(table)
        const records = Array.from({ length: 10 }, () => sampleRecord())
        await Promise.all([
          archive.write(records.slice(0, 5)),
          archive.write(records.slice(5)),
          archive.list(),
          archive.stats(),
        ])
        expect((await archive.list()).items).toHaveLength(10)
      } finally {
        await client.end()
      }
    })

    it('stores text with NUL characters as U+FFFD instead of failing the batch', async () => {
      const archive = postgresArchive({ pool, table: nextTable() })
      await archive.migrate()
      const record = rejectedRecord({ reason: 'bad\u0000byte', path: '/p\u0000' })
      await archive.write([record, sampleRecord()])
      expect(await archive.get(record.deliveryId)).toMatchObject({ reason: 'bad\uFFFDbyte', path: '/p\uFFFD' })
    })

    it('refuses bad options at construction', () => {
      expect(() => postgresArchive({} as never)).toThrow(/pool is required/)
      expect(() => postgresArchive({ pool, table: 'Bad-Name' })).toThrow(/lower-case identifier/)
      expect(() => postgresArchive({ pool, purgeBatchSize: 0 })).toThrow(/purgeBatchSize/)
      expect(() => postgresArchive({ pool, logger: {} as never })).toThrow(/logger/)
      expect(() => postgresArchive({ pool, retentionMs: -5 })).toThrow(/retentionMs/)
    })
  })
}
