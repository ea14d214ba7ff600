/**
 * End to end through createReceiver with the SQLite store and queue on one
 * file: accepted, duplicate, and a failing enqueue (503, reservation released).
 */
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createReceiver } from '../../src/index.js'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import { signRequest } from '../../src/testing.js'
import type { WebhookEvent } from '../../src/types/index.js'
import { FIXTURES } from '../support/providers.js'
import { sleep, tempDir, waitFor } from './helpers.js'

const tmp = tempDir('receiver')
afterAll(() => tmp.cleanup())
const fixture = FIXTURES.find((f) => f.name === 'stripe')!

async function delivery(id: string) {
  const provider = fixture.make()
  const signed = await signRequest(provider, { body: fixture.body(id) })
  return { method: 'POST', headers: signed.headers, body: signed.body }
}

function count(path: string, sql: string, ...params: unknown[]): number {
  const db = new Database(path, { readonly: true })
  try {
    return db
      .prepare(sql)
      .pluck()
      .get(...params) as number
  } finally {
    db.close()
  }
}

describe('createReceiver with sqliteStore + sqliteQueue', () => {
  it('accepts a delivery, runs the handler once, and answers a repeat as a duplicate without a second row', async () => {
    const path = tmp.file('e2e')
    const handled: WebhookEvent[] = []
    const receiver = createReceiver({
      provider: fixture.make(),
      store: sqliteStore({ path }),
      queue: sqliteQueue({ path, pollIntervalMs: 50 }),
      handler: (event) => void handled.push(event),
    })
    try {
      const request = await delivery('evt_sqlite_1')
      const first = await receiver.handle(request)
      expect(first.status).toBe(200)
      expect(first.outcome.kind).toBe('accepted')
      expect(JSON.parse(first.body)).toMatchObject({ ok: true, status: 'accepted', id: 'evt_sqlite_1' })
      // The 2xx came after the commit: the row is visible from another connection already.
      expect(count(path, 'SELECT COUNT(*) FROM hookguard_jobs WHERE key = ?', 'stripe:default:evt_sqlite_1')).toBe(1)
      expect(
        count(
          path,
          "SELECT COUNT(*) FROM hookguard_dedupe WHERE key = ? AND state = 'done'",
          'stripe:default:evt_sqlite_1',
        ),
      ).toBe(1)

      await waitFor(() => handled.length === 1, 5000, 'the handler')
      expect(handled[0]).toMatchObject({
        id: 'evt_sqlite_1',
        provider: 'stripe',
        type: 'payment_intent.succeeded',
        attempt: 1,
      })
      expect(handled[0]!.headers['stripe-signature']).not.toContain('v1=')

      const again = await receiver.handle(request)
      expect(again.status).toBe(200)
      expect(again.outcome.kind).toBe('duplicate')
      expect(again.headers['hookguard-duplicate']).toBe('true')
      expect(JSON.parse(again.body)).toMatchObject({ status: 'duplicate' })
      await sleep(200)
      expect(count(path, 'SELECT COUNT(*) FROM hookguard_jobs')).toBe(1)
      expect(handled).toHaveLength(1)
    } finally {
      await receiver.close()
    }
  })

  it('a closed queue gives 503 with Retry-After and releases the reservation; the retry is enqueued once', async () => {
    const path = tmp.file('closed-queue')
    const broken = sqliteQueue({ path })
    await broken.close()
    const receiver = createReceiver({
      provider: fixture.make(),
      store: sqliteStore({ path }),
      queue: broken,
      logger: false,
    })
    const request = await delivery('evt_sqlite_503')
    const failed = await receiver.handle(request)
    expect(failed.status).toBe(503)
    expect(failed.headers['retry-after']).toBeDefined()
    expect(failed.outcome).toMatchObject({ kind: 'unavailable', code: 'queue.unavailable' })
    expect(count(path, 'SELECT COUNT(*) FROM hookguard_dedupe WHERE key = ?', 'stripe:default:evt_sqlite_503')).toBe(0)
    expect(count(path, 'SELECT COUNT(*) FROM hookguard_jobs')).toBe(0)
    await receiver.close()

    const fixed = createReceiver({
      provider: fixture.make(),
      store: sqliteStore({ path }),
      queue: sqliteQueue({ path }),
    })
    try {
      expect((await fixed.handle(request)).outcome.kind).toBe('accepted')
      expect((await fixed.handle(request)).outcome.kind).toBe('duplicate')
      expect(count(path, 'SELECT COUNT(*) FROM hookguard_jobs WHERE key = ?', 'stripe:default:evt_sqlite_503')).toBe(1)
    } finally {
      await fixed.close()
    }
  })

  it('a queue whose database connection was closed gives 503 and releases the reservation', async () => {
    const path = tmp.file('closed-db')
    const database = new Database(path)
    const queue = sqliteQueue({ database })
    const store = sqliteStore({ path })
    const receiver = createReceiver({ provider: fixture.make(), store, queue, logger: false })
    database.close()
    const failed = await receiver.handle(await delivery('evt_gone'))
    expect(failed.status).toBe(503)
    expect(failed.outcome).toMatchObject({ kind: 'unavailable', code: 'queue.unavailable' })
    expect(JSON.stringify(failed)).not.toMatch(/database|sqlite/i)
    expect((await store.reserve('stripe:default:evt_gone', 30_000)).status).toBe('reserved')
    await receiver.close()
  })
})
