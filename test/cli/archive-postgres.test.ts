/**
 * The archive commands against a real PostgreSQL archive (DATABASE_URL),
 * filled by a real receiver; replay and dead letters through the SQLite
 * queue that receiver used (`--queue-sqlite`), and BullMQ dead letters
 * through `--redis` (REDIS_URL). The URL is passed as env:NAME, as the help
 * recommends.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createReceiver, stripe } from '../../src/index.js'
import { bullmqQueue } from '../../src/bullmq.js'
import { migratePostgresArchive, migratePostgresQueue, postgresArchive, postgresQueue } from '../../src/postgres.js'
import { sqliteQueue } from '../../src/sqlite.js'
import { signRequest } from '../../src/testing.js'
import { dropPrefix } from '../bullmq/helpers.js'
import { DATABASE_URL, describeWithPostgres, describeWithRedis, REDIS_URL } from '../support/services.js'
import { builtBin, run } from './support/built.js'
import { populate, SECRET, type Populated } from './support/populate.js'

const table = `hgtest_cli_${randomBytes(4).toString('hex')}`
const dir = mkdtempSync(join(tmpdir(), 'hookguard-cli-pg-'))
const queuePath = join(dir, 'queue.db')
const ENV = { HG_DB: DATABASE_URL ?? '', HG_REDIS: REDIS_URL ?? '', HG_STRIPE: SECRET }

function cli(...args: string[]) {
  return run([...args, '--postgres', 'env:HG_DB', '--table', table], { env: ENV })
}

describeWithPostgres('CLI on a PostgreSQL archive', () => {
  let pool: pg.Pool
  let data: Populated

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
    await migratePostgresArchive(pool, { table })
    const archive = postgresArchive({ pool, table, logger: false })
    const queue = sqliteQueue({
      path: queuePath,
      attempts: 2,
      backoffMs: 1,
      maxBackoffMs: 2,
      pollIntervalMs: 10,
      logger: false,
    })
    ;[, data] = await Promise.all([builtBin(), populate(archive, queue)])
  }, 300_000)

  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${table}", "${table}_counts"`)
    await pool.query(`DROP FUNCTION IF EXISTS "${table}_count"()`)
    await pool.end()
    rmSync(dir, { recursive: true, force: true })
  })

  it('stats counts what the receiver archived', async () => {
    const result = await cli('stats', '--json')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      total: 8,
      byOutcome: { accepted: 5, duplicate: 1, rejected: 2 },
      byCode: { 'signature.invalid': 1, 'method.not_allowed': 1 },
      byState: { handled: 3, dead: 2 },
    })
    expect(result.stdout + result.stderr).not.toContain(DATABASE_URL!)
  })

  it('list filters and pages', async () => {
    const rejected = JSON.parse((await cli('list', '--outcome', 'rejected', '--json')).stdout)
    expect(rejected.items.map((item: { deliveryId: string }) => item.deliveryId)).toEqual([
      data.ids.get,
      data.ids.forged,
    ])
    const first = JSON.parse((await cli('list', '--limit', '5', '--json')).stdout)
    const second = JSON.parse((await cli('list', '--limit', '5', '--cursor', first.cursor, '--json')).stdout)
    expect([...first.items, ...second.items].map((item: { eventId?: string }) => item.eventId ?? '-')).toEqual([
      'evt_hostile',
      'evt_fail2',
      'evt_fail1',
      '-',
      '-',
      'evt_a',
      'evt_b',
      'evt_a',
    ])
    expect(second.cursor).toBeUndefined()
  })

  it('show redacts the signature header and never prints the sealed one', async () => {
    const result = await cli('show', data.ids.a!, '--json')
    const record = JSON.parse(result.stdout)
    expect(record).not.toHaveProperty('sealedHeaders')
    expect(record.headers['stripe-signature']).toBe('[redacted]')
    for (const signature of data.signatures) expect(result.stdout).not.toContain(signature.split('v1=')[1])
  })

  it('replay verifies again and enqueues into the queue given with --queue-sqlite', async () => {
    const result = await cli('replay', data.ids.b!, '--secret', 'env:HG_STRIPE', '--queue-sqlite', queuePath, '--json')
    expect(result.code).toBe(0)
    const replayed = JSON.parse(result.stdout)
    expect(replayed).toMatchObject({
      replayOf: data.ids.b,
      verified: true,
      key: `stripe:default:evt_b#replay:${replayed.deliveryId}`,
    })
    const queue = sqliteQueue({ path: queuePath, logger: false })
    expect((await queue.stats()).pending).toBe(1)
    await queue.close()
    expect(JSON.parse((await cli('show', replayed.deliveryId, '--json')).stdout)).toMatchObject({
      replayOf: data.ids.b,
    })
  })

  it('dead letters of that queue: list and retry --all', async () => {
    const listed = JSON.parse((await run(['dead', 'list', '--queue-sqlite', queuePath, '--json'])).stdout)
    expect(listed.items).toHaveLength(2)
    const retried = await run(['dead', 'retry', '--all', '--queue-sqlite', queuePath])
    expect(retried).toMatchObject({ code: 0, stdout: 'retried 2 dead letter(s)\n' })
  })

  it('exits 1 with one line when the archive table does not exist', async () => {
    const result = await run(['list', '--postgres', 'env:HG_DB', '--table', `${table}_missing`], { env: ENV })
    expect(result.code).toBe(1)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(/migratePostgresArchive/)
  })
})

describeWithPostgres('CLI on postgresQueue: --postgres alone names archive and queue', () => {
  const queueTable = `hgtest_cli_q_${randomBytes(4).toString('hex')}`
  const schema = `hgq_cli_${process.pid}_${randomBytes(4).toString('hex')}`
  const queueFlags = ['--postgres', 'env:HG_DB', '--queue-schema', schema, '--queue-name', 'cli']
  let pool: pg.Pool
  let accepted: string

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
    pool.on('error', () => {})
    await migratePostgresArchive(pool, { table: queueTable })
    await migratePostgresQueue(pool, { schema, name: 'cli' })
    const archive = postgresArchive({ pool, table: queueTable, logger: false })
    const queue = postgresQueue({ pool, schema, name: 'cli', attempts: 1, pollIntervalMs: 20, logger: false })
    const provider = stripe({ secret: SECRET })
    const receiver = createReceiver({
      provider,
      archive,
      queue,
      logger: false,
      handler: (event) => {
        if (event.type === 'charge.failed') throw new Error('ledger is read-only')
      },
    })
    for (const [id, type] of [
      ['evt_pg_ok', 'charge.succeeded'],
      ['evt_pg_dead', 'charge.failed'],
    ]) {
      const body = JSON.stringify({ id, object: 'event', type, data: { object: {} } })
      const signed = await signRequest(provider, { body })
      expect((await receiver.handle({ method: 'POST', headers: signed.headers, body })).status).toBe(200)
    }
    const deadline = Date.now() + 20_000
    while ((await queue.stats()).dead < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    await receiver.close()
    accepted = (await archive.list({ eventId: 'evt_pg_ok' })).items[0]!.deliveryId
    await builtBin()
  }, 300_000)

  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS "${queueTable}", "${queueTable}_counts"`)
    await pool.query(`DROP FUNCTION IF EXISTS "${queueTable}_count"()`)
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await pool.end()
  })

  it('dead list and retry', async () => {
    const listed = await run(['dead', 'list', ...queueFlags, '--json'], { env: ENV })
    expect(listed.code).toBe(0)
    expect(JSON.parse(listed.stdout).items).toMatchObject([
      { key: 'stripe:default:evt_pg_dead', error: 'Error: ledger is read-only' },
    ])
    expect(await run(['dead', 'retry', 'stripe:default:evt_pg_dead', ...queueFlags], { env: ENV })).toMatchObject({
      code: 0,
      stdout: 'retried stripe:default:evt_pg_dead\n',
    })
  })

  it('replay enqueues into postgresQueue', async () => {
    const flags = [...queueFlags, '--table', queueTable, '--secret', 'env:HG_STRIPE', '--json']
    const result = await run(['replay', accepted, ...flags], { env: ENV })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ replayOf: accepted, verified: true })
    const queue = postgresQueue({ pool, schema, name: 'cli', worker: false, logger: false })
    expect((await queue.stats()).pending).toBeGreaterThanOrEqual(2)
    await queue.close()
  })
})

describeWithRedis('CLI dead letters on BullMQ (--redis)', () => {
  const prefix = `hgtest-cli-${randomBytes(4).toString('hex')}`

  beforeAll(async () => {
    await builtBin()
    const queue = bullmqQueue({
      connection: { url: REDIS_URL! },
      prefix,
      attempts: 1,
      logger: false,
      checkPersistence: false,
    })
    const provider = stripe({ secret: SECRET })
    let failures = 0
    const receiver = createReceiver({
      provider,
      queue,
      logger: false,
      handler: () => {
        failures++
        throw new Error('downstream is down')
      },
    })
    const body = JSON.stringify({ id: 'evt_bull', object: 'event', type: 'charge.failed', data: { object: {} } })
    const signed = await signRequest(provider, { body })
    expect((await receiver.handle({ method: 'POST', headers: signed.headers, body })).status).toBe(200)
    const deadline = Date.now() + 15_000
    while ((await queue.stats()).dead < 1 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 25))
    expect(failures).toBe(1)
    await receiver.close()
  }, 300_000)

  afterAll(() => dropPrefix(prefix))

  it('lists, retries and discards', async () => {
    const args = ['--redis', 'env:HG_REDIS', '--queue-prefix', prefix]
    const listed = await run(['dead', 'list', ...args, '--json'], { env: ENV })
    expect(listed.code).toBe(0)
    const { items, stats } = JSON.parse(listed.stdout)
    expect(stats.dead).toBe(1)
    expect(items).toMatchObject([{ key: 'stripe:default:evt_bull', attempts: 1, error: 'Error: downstream is down' }])
    expect((await run(['dead', 'retry', 'stripe:default:evt_bull', ...args], { env: ENV })).code).toBe(0)
    expect((await run(['dead', 'discard', 'stripe:default:evt_bull', ...args], { env: ENV })).code).toBe(1)
  })
})
