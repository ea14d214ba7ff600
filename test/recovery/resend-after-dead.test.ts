/**
 * A provider's own "resend" must reach a handler that failed before. The
 * handler fails until the event is dead-lettered; the key is re-admitted;
 * after the fix, the identical signed delivery is accepted and handled
 * once — also when two copies of the re-send arrive at the same time — and
 * a further re-send is a duplicate. On every store × queue pair.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { bullmqQueue } from '../../src/bullmq.js'
import { createReceiver, memoryQueue, memoryStore, stripe } from '../../src/index.js'
import { migratePostgresQueue, migratePostgresStore, postgresQueue, postgresStore } from '../../src/postgres.js'
import { redisStore } from '../../src/redis.js'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import { signRequest } from '../../src/testing.js'
import type { DedupeStore, WebhookQueue } from '../../src/types/index.js'
import { DATABASE_URL, REDIS_URL } from '../support/services.js'

const provider = stripe({ secret: 'whsec_test_resend_after_dead_0123' })
const run = randomBytes(4).toString('hex')
const cleanups: Array<() => Promise<void> | void> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

type Maker<T> = { name: string; needs?: 'redis' | 'postgres'; make(tag: string): Promise<T> }

const dir = mkdtempSync(join(tmpdir(), 'hookguard-resend-'))
cleanups.push(() => rmSync(dir, { recursive: true, force: true }))

const stores: Array<Maker<DedupeStore>> = [
  { name: 'memoryStore', make: async () => memoryStore() },
  { name: 'sqliteStore', make: async (tag) => sqliteStore({ path: join(dir, `${tag}.db`) }) },
  {
    name: 'redisStore',
    needs: 'redis',
    async make(tag) {
      const client = new Redis(REDIS_URL!)
      cleanups.push(() => void client.disconnect())
      return redisStore({ client, prefix: `hgtest-resend-${run}-${tag}:` })
    },
  },
  {
    name: 'postgresStore',
    needs: 'postgres',
    async make(tag) {
      const pool = postgresPool()
      const table = `hgtest_resend_${run}_${short(tag)}`
      await migratePostgresStore(pool, { table })
      cleanups.push(async () => {
        await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {})
        await pool.query(`DROP TABLE IF EXISTS ${table}_versions`).catch(() => {})
      })
      return postgresStore({ pool, table })
    },
  },
]

const retry = { attempts: 2, backoffMs: 5, maxBackoffMs: 10 }
let sharedPool: pg.Pool | undefined
/** One pool for the PostgreSQL store and queue, so they dedupe and enqueue in one transaction. */
function postgresPool(): pg.Pool {
  if (!sharedPool) {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 8 })
    pool.on('error', () => {})
    sharedPool = pool
    cleanups.push(() => pool.end())
  }
  return sharedPool
}
const queues: Array<Maker<WebhookQueue>> = [
  { name: 'memoryQueue', make: async () => memoryQueue({ ...retry, logger: false }) },
  {
    name: 'sqliteQueue',
    make: async (tag) =>
      sqliteQueue({ path: join(dir, `${tag}-queue.db`), ...retry, pollIntervalMs: 20, logger: false }),
  },
  {
    name: 'bullmqQueue',
    needs: 'redis',
    async make(tag) {
      return bullmqQueue({
        connection: { url: REDIS_URL! },
        prefix: `hgtest-resend-${run}-${tag}`,
        ...retry,
        logger: false,
      })
    },
  },
  {
    name: 'postgresQueue',
    needs: 'postgres',
    async make(tag) {
      const pool = postgresPool()
      const schema = `hgtest_resend_${run}_${short(tag)}`
      await migratePostgresQueue(pool, { schema })
      cleanups.push(async () => void (await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})))
      return postgresQueue({ pool, schema, ...retry, pollIntervalMs: 50, logger: false })
    },
  },
]

/** A short identifier for names with a length limit. */
function short(tag: string): string {
  return tag.replace(/store|queue/g, '').replace(/[^a-z0-9]/g, '_')
}

function available(needs: 'redis' | 'postgres' | undefined): boolean {
  return needs === undefined || (needs === 'redis' ? Boolean(REDIS_URL) : Boolean(DATABASE_URL))
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('a provider re-send reaches the fixed handler after a dead letter', () => {
  for (const storeMaker of stores) {
    for (const queueMaker of queues) {
      const skip = !available(storeMaker.needs) || !available(queueMaker.needs)
      it.skipIf(skip)(`${storeMaker.name} + ${queueMaker.name}`, async () => {
        const tag = `${storeMaker.name}-${queueMaker.name}`.toLowerCase()
        const inner = await storeMaker.make(tag)
        let forgotten = 0
        // Counts re-admissions, so the test re-sends once the dead-letter hook has done its work.
        const store: DedupeStore = Object.assign(Object.create(inner) as DedupeStore, {
          forget: async (key: string) => {
            const removed = await inner.forget!(key)
            forgotten++
            return removed
          },
        })
        const queue = await queueMaker.make(tag)
        let fixed = false
        let failures = 0
        const handled: number[] = []
        const receiver = createReceiver({
          provider,
          store,
          queue,
          logger: false,
          handler: async (event) => {
            if (!fixed) {
              failures++
              throw new Error('bug in the handler')
            }
            handled.push(event.attempt)
          },
        })
        try {
          const body = JSON.stringify({
            id: `evt_resend_${tag}`,
            type: 'invoice.paid',
            data: { object: { id: 'in_1' } },
          })
          const send = async () => {
            const signed = await signRequest(provider, { body })
            return receiver.handle({ method: 'POST', headers: signed.headers, body })
          }
          expect((await send()).outcome.kind).toBe('accepted')
          await waitFor(async () => (await queue.stats!()).dead === 1, 'the dead letter')
          expect(failures).toBe(2)
          // The key is forgotten by the dead-letter hook right after; a real provider re-sends much later.
          await waitFor(() => forgotten === 1, 'the dead letter key to be re-admitted')
          // While dead, the key is re-admitted: not a duplicate any more.
          fixed = true
          const [first, second] = await Promise.all([send(), send()])
          const kinds = [first.outcome.kind, second.outcome.kind].sort()
          // One copy wins; the other is in flight (409, the sender retries) or already a duplicate.
          expect(kinds[0]).toBe('accepted')
          expect(['duplicate', 'in_flight']).toContain(kinds[1])
          await waitFor(() => handled.length === 1, 'the handler to run after the re-send')
          expect(handled).toEqual([1])
          expect((await send()).outcome.kind).toBe('duplicate')
          await new Promise((resolve) => setTimeout(resolve, 100))
          expect(handled).toEqual([1])
          expect((await queue.stats!()).dead).toBe(0)
        } finally {
          await receiver.close()
        }
      })
    }
  }
})
