import { randomBytes, randomInt } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReceiver } from '../../src/index.js'
import { migratePostgresStore, postgresStore } from '../../src/postgres.js'
import { countingQueue, makeProvider, signed, sleep } from '../faults/support.js'
import { DATABASE_URL, describeWithPostgres } from '../support/services.js'

const base = `hg_store_${process.pid}_${Date.now().toString(36)}`
const fakePool = { query: async () => ({ rows: [], rowCount: 0 }) }

describe('postgresStore options', () => {
  it('throws a TypeError naming the fix when the pool is missing', () => {
    expect(() => postgresStore(undefined as never)).toThrow(TypeError)
    expect(() => postgresStore({} as never)).toThrow(/pool is required/)
    expect(() => postgresStore({ pool: { query: 'SELECT 1' } as never })).toThrow(/pool is required/)
  })

  it('validates the table name as an identifier at construction', async () => {
    for (const table of [
      '',
      'Hookguard',
      'hook-guard',
      '1table',
      'a.b.c',
      'x"; DROP TABLE users; --',
      'x'.repeat(49),
      ' hookguard_dedupe',
      42,
    ]) {
      expect(() => postgresStore({ pool: fakePool, table: table as never }), String(table)).toThrow(TypeError)
      await expect(migratePostgresStore(fakePool, { table: table as never }), String(table)).rejects.toThrow(TypeError)
    }
    expect(postgresStore({ pool: fakePool }).table).toBe('hookguard_dedupe')
    expect(postgresStore({ pool: fakePool, table: 'webhooks.dedupe_keys' }).table).toBe('webhooks.dedupe_keys')
  })
})

describeWithPostgres('postgresStore on PostgreSQL', () => {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
  const tables: string[] = []
  const schema = `${base}_schema`
  let n = 0
  const freshTable = () => {
    const table = `${base}_${n++}`
    tables.push(table)
    return table
  }

  beforeAll(async () => {
    await pool.query('SELECT 1')
  })
  afterAll(async () => {
    for (const table of tables) await pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_versions"`)
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await pool.end()
  })

  it('without the migration, reserve fails with an error that says to run it, logged once, and the receiver answers 503', async () => {
    const table = freshTable()
    const logged: string[] = []
    const logger = { error: (_fields: object, message: string) => void logged.push(message), warn: () => {} }
    const store = postgresStore({ pool, table, logger })
    await expect(store.reserve('k', 30_000)).rejects.toThrow(`run migratePostgresStore(pool, { table: '${table}' })`)
    await expect(store.reserve('k', 30_000)).rejects.toThrow(/does not exist/)

    const receiver = createReceiver({ provider: makeProvider(), store, queue: countingQueue(), logger: false })
    const delivery = await signed('evt_unmigrated')
    const answer = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
    expect([answer.status, answer.headers['retry-after'], answer.outcome.kind]).toEqual([503, '5', 'unavailable'])
    expect(logged).toHaveLength(1)
    expect(logged[0]).toContain('migratePostgresStore')

    // Nothing was created behind the user's back.
    const { rows } = await pool.query('SELECT to_regclass($1) AS oid', [table])
    expect(rows[0].oid).toBeNull()

    await store.migrate()
    const retry = await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })
    expect([retry.status, retry.outcome.kind]).toEqual([200, 'accepted'])
  })

  it('a table from before the ordering guard: advance fails naming the migration (logged once), the rest works until it runs', async () => {
    const table = freshTable()
    await pool.query(
      `CREATE TABLE "${table}" (key text PRIMARY KEY, token text NOT NULL, done boolean NOT NULL DEFAULT false, expires_at timestamptz NOT NULL)`,
    )
    const logged: Array<[Record<string, unknown>, string]> = []
    const logger = {
      error: (fields: Record<string, unknown>, message: string) => void logged.push([fields, message]),
      warn: () => {},
    }
    const store = postgresStore({ pool, table, logger })
    const token = await store.reserve('k', 30_000)
    if (token.status !== 'reserved') throw new Error('expected reserved')
    expect(await store.complete('k', token.token, 60_000)).toBe(true)
    for (let i = 0; i < 2; i++) {
      await expect(store.advance('e', 1, 60_000)).rejects.toThrow(
        `table ${table}_versions does not exist; run migratePostgresStore(pool, { table: '${table}' })`,
      )
      expect(await store.forget('k')).toBe(i === 0) // the keys table answering does not re-arm the log line
    }
    expect(logged).toEqual([
      [
        { table: `${table}_versions`, migration: `migratePostgresStore(pool, { table: '${table}' })` },
        expect.stringContaining('does not exist'),
      ],
    ])
    const { rows } = await pool.query('SELECT to_regclass($1) AS oid', [`${table}_versions`])
    expect(rows[0].oid).toBeNull()
    await store.migrate()
    expect(await store.advance('e', 1, 60_000)).toBe(true)
    expect(await store.advance('e', 0.5, 60_000)).toBe(false)
  })

  it('records versions exactly as float8 and purges expired records', async () => {
    const table = freshTable()
    const store = postgresStore({ pool, table })
    await store.migrate()
    const versions = [1_726_000_000_123.5, 2 ** 53 + 2, 0.1 + 0.2, -1e-300]
    for (const [i, version] of versions.entries()) expect(await store.advance(`e${i}`, version, 60_000)).toBe(true)
    const { rows } = await pool.query(`SELECT entity, version FROM "${table}_versions" ORDER BY entity`)
    expect(rows.map((r) => r.version)).toEqual(versions)
    expect(await store.advance('e1', 2 ** 53, 60_000)).toBe(false)
    expect(await store.advance('lapsing', 5, 50)).toBe(true)
    await sleep(200)
    expect(await store.purge()).toBe(1)
    expect(await store.advance('lapsing', 1, 60_000)).toBe(true)
  })

  it('key size: the btree index takes 2692 bytes of an incompressible key (ASCII or multibyte), not one more', async () => {
    const store = postgresStore({ pool, table: freshTable() })
    await store.migrate()
    const ascii = (bytes: number) => randomBytes(bytes).toString('base64').slice(0, bytes)
    const supplementary = (chars: number) =>
      Array.from({ length: chars }, () => String.fromCodePoint(randomInt(0x10000, 0x110000))).join('')
    for (const [label, fits, tooLong] of [
      ['ascii', ascii(2692), ascii(2693)],
      ['4-byte characters', supplementary(673), supplementary(674)],
    ] as const) {
      expect(Buffer.byteLength(fits), label).toBe(2692)
      expect((await store.reserve(fits, 30_000)).status, label).toBe('reserved')
      await expect(store.reserve(tooLong, 30_000), label).rejects.toMatchObject({
        code: '54000',
        message: expect.stringMatching(/index row size \d+ exceeds btree version 4 maximum 2704/),
      })
      expect(await store.advance(fits, 1, 60_000), label).toBe(true)
      await expect(store.advance(tooLong, 1, 60_000), label).rejects.toMatchObject({ code: '54000' })
    }
  })

  it('pg sends a lone surrogate as U+FFFD (two ids collide), and PostgreSQL refuses U+0000', async () => {
    const table = freshTable()
    const store = postgresStore({ pool, table })
    await store.migrate()
    expect((await store.reserve('lone:\uD800', 30_000)).status).toBe('reserved')
    expect((await store.reserve('lone:\uDC00', 30_000)).status).toBe('in_flight')
    const { rows } = await pool.query(`SELECT key FROM "${table}"`)
    expect(rows).toEqual([{ key: 'lone:\uFFFD' }])
    await expect(store.reserve('nul:a\u0000b', 30_000)).rejects.toMatchObject({ code: '22021' })
  })

  it('migrates idempotently, also when several instances run it at once', async () => {
    const table = freshTable()
    await Promise.all(Array.from({ length: 4 }, () => migratePostgresStore(pool, { table })))
    await migratePostgresStore(pool, { table })
    const { rows } = await pool.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [table],
    )
    expect(rows.map((r) => `${r.column_name}:${r.data_type}`)).toEqual([
      'key:text',
      'token:text',
      'done:boolean',
      'expires_at:timestamp with time zone',
    ])
    const versions = await pool.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`,
      [`${table}_versions`],
    )
    expect(versions.rows.map((r) => `${r.column_name}:${r.data_type}`)).toEqual([
      'entity:text',
      'version:double precision',
      'expires_at:timestamp with time zone',
    ])
    const index = await pool.query('SELECT indexname FROM pg_indexes WHERE tablename IN ($1, $2) ORDER BY indexname', [
      table,
      `${table}_versions`,
    ])
    expect(index.rows.map((r) => r.indexname)).toEqual([
      `${table}_expires_at_idx`,
      `${table}_pkey`,
      `${table}_versions_expires_at_idx`,
      `${table}_versions_pkey`,
    ])
  })

  it('works in a schema-qualified table', async () => {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
    const store = postgresStore({ pool, table: `${schema}.dedupe` })
    await store.migrate()
    const first = await store.reserve('k', 30_000)
    if (first.status !== 'reserved') throw new Error('expected reserved')
    expect(await store.complete('k', first.token, 60_000)).toBe(true)
    expect((await store.reserve('k', 30_000)).status).toBe('duplicate')
  })

  it('reports the remaining lease (from the database clock) as retryAfterMs', async () => {
    const store = postgresStore({ pool, table: freshTable() })
    await store.migrate()
    await store.reserve('k', 20_000)
    const busy = await store.reserve('k', 20_000)
    expect(busy.status).toBe('in_flight')
    expect(busy.status === 'in_flight' && busy.retryAfterMs).toBeGreaterThan(0)
    expect(busy.status === 'in_flight' && busy.retryAfterMs).toBeLessThanOrEqual(20_000)
  })

  it('purge deletes only rows whose lease or retention ended, in batches', async () => {
    const table = freshTable()
    const store = postgresStore({ pool, table })
    await store.migrate()
    const kept = await store.reserve('kept', 30_000)
    if (kept.status !== 'reserved') throw new Error('expected reserved')
    await store.complete('kept', kept.token, 60_000)
    await store.reserve('lapsed-lease', 50)
    const done = await store.reserve('lapsed-retention', 30_000)
    if (done.status !== 'reserved') throw new Error('expected reserved')
    await store.complete('lapsed-retention', done.token, 50)
    await store.reserve('lapsed-too', 50)
    await sleep(200)

    expect(await store.purge({ batchSize: 1 })).toBe(3)
    const { rows } = await pool.query(`SELECT key FROM "${table}"`)
    expect(rows.map((r) => r.key)).toEqual(['kept'])
    expect((await store.reserve('kept', 30_000)).status).toBe('duplicate')
    expect(await store.purge()).toBe(0)
    await expect(store.purge({ batchSize: 0 })).rejects.toThrow(TypeError)
  })

  it('works on a single pg Client, and receiver.close() never ends what the user passed in', async () => {
    const table = freshTable()
    const client = new pg.Client({ connectionString: DATABASE_URL })
    await client.connect()
    const warnings: string[] = []
    const onWarning = (warning: Error) => void warnings.push(warning.message)
    process.on('warning', onWarning)
    try {
      await migratePostgresStore(client, { table })
      const queue = countingQueue()
      const receiver = createReceiver({
        provider: makeProvider(),
        store: postgresStore({ pool: client, table }),
        queue,
        logger: false,
      })
      const delivery = await signed('evt_client')
      const answers = await Promise.all(
        [1, 2, 3].map(() => receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })),
      )
      expect(answers.filter((a) => a.outcome.kind === 'accepted')).toHaveLength(1)
      expect(
        (await receiver.handle({ method: 'POST', headers: delivery.headers, body: delivery.body })).outcome.kind,
      ).toBe('duplicate')
      expect(queue.keys).toEqual(['stripe:default:evt_client'])
      await receiver.close()
      expect((await client.query('SELECT 1 AS one')).rows[0].one).toBe(1)
      // Concurrent deliveries never overlap queries on the one Client (pg 9 refuses that).
      await sleep(10)
      expect(warnings.filter((w) => w.includes('already executing a query'))).toEqual([])
    } finally {
      process.off('warning', onWarning)
      await client.end()
    }
  })
})
