/**
 * The ordering guard end to end, on every store, with two workers racing:
 * Stripe deliveries arrive out of order (`created` after `succeeded`,
 * entities interleaved) through a real receiver; `ordering: true` (Stripe's
 * default: `data.object.id` + `created`) must skip every older event as
 * `stale` — counted, archived and in the archive's stats — run equal
 * versions and events without a version, and never start a handler with a
 * version older than one whose handler already finished.
 *
 * memoryStore: one receiver, memoryQueue with concurrency 2. The shared
 * stores: a receiver that only enqueues, and two createWorker instances on
 * their own queue objects over one queue (SQLite file, BullMQ, pg-boss),
 * each with concurrency 2.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import pg from 'pg'
import type Stripe from 'stripe'
import { afterAll, describe, expect, it } from 'vitest'
import { bullmqQueue } from '../../src/bullmq.js'
import {
  createReceiver,
  createWorker,
  memoryArchive,
  memoryQueue,
  memoryStore,
  stripe,
  type DedupeStore,
  type MemoryArchive,
  type Receiver,
  type WebhookEvent,
  type WebhookQueue,
  type Worker,
} from '../../src/index.js'
import { migratePostgresQueue, migratePostgresStore, postgresQueue, postgresStore } from '../../src/postgres.js'
import { redisStore } from '../../src/redis.js'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import { signRequest } from '../../src/testing.js'
import { DATABASE_URL, REDIS_URL } from '../support/services.js'
import { countingMetrics, seeded, shuffle, sleep, waitFor, type CountingMetrics } from './support.js'

const provider = stripe({ secret: 'whsec_test_ordering_stores_0123456789' })
const run = randomBytes(4).toString('hex')
const SEED = Number(process.env.HOOKGUARD_ORDER_SEED ?? Date.now() % 1_000_000)
const CREATED = 1_700_000_000
const cleanups: Array<() => Promise<void> | void> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})
const dir = mkdtempSync(join(tmpdir(), 'hookguard-ordering-'))
cleanups.push(() => rmSync(dir, { recursive: true, force: true }))

/** One handler run, as the handler saw it. */
interface Run {
  id: string
  entity: string
  version: number | undefined
  start: number
  end: number
}

interface Rig {
  receiver: Receiver<Stripe.Event>
  archive: MemoryArchive
  metrics: CountingMetrics
  close(): Promise<void>
}

/** Every handler records its run; it takes a few ms so that runs overlap across the two workers. */
function handlersFor(runs: Run[]) {
  const record = async (event: WebhookEvent<Stripe.Event>): Promise<void> => {
    const start = performance.now()
    await sleep(8)
    const object = event.payload.data.object as { id?: string }
    const created = (event.payload as { created?: number }).created
    runs.push({ id: event.id, entity: object.id ?? '', version: created, start, end: performance.now() })
  }
  return { 'payment_intent.*': record, '*': record }
}

type RigMaker = { name: string; needs?: 'redis' | 'postgres'; make(runs: Run[]): Promise<Rig> }

/** A receiver that only enqueues, and two workers on their own queue and store objects. */
function sharedRig(
  runs: Run[],
  receiverParts: { store: DedupeStore; queue: WebhookQueue },
  workerParts: () => { store: DedupeStore; queue: WebhookQueue },
  closeAlso: () => Promise<void> = async () => {},
): Rig {
  const archive = memoryArchive()
  const metrics = countingMetrics()
  const receiver = createReceiver({ provider, ...receiverParts, archive, metrics, logger: false })
  const stores: DedupeStore[] = []
  const workers: Worker[] = [0, 1].map(() => {
    const parts = workerParts()
    stores.push(parts.store)
    return createWorker({
      ...parts,
      archive,
      metrics,
      ordering: provider.ordering!,
      handlers: handlersFor(runs),
      logger: false,
    })
  })
  let closing: Promise<void> | undefined
  const close = async () => {
    for (const worker of workers) await worker.close()
    await receiver.close()
    for (const store of stores) await store.close?.()
    await closeAlso()
  }
  return { receiver, archive, metrics, close: () => (closing ??= close()) }
}

let sharedPool: pg.Pool | undefined
function postgresPool(): pg.Pool {
  if (!sharedPool) {
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 })
    pool.on('error', () => {})
    sharedPool = pool
    cleanups.push(() => pool.end())
  }
  return sharedPool
}

const RIGS: RigMaker[] = [
  {
    name: 'memoryStore (memoryQueue, concurrency 2)',
    async make(runs) {
      const archive = memoryArchive()
      const metrics = countingMetrics()
      const receiver = createReceiver({
        provider,
        store: memoryStore(),
        queue: memoryQueue({ concurrency: 2, logger: false }),
        ordering: true,
        handlers: handlersFor(runs),
        archive,
        metrics,
        logger: false,
      })
      return { receiver, archive, metrics, close: () => receiver.close() }
    },
  },
  {
    name: 'sqliteStore (two workers on one sqliteQueue file)',
    async make(runs) {
      const storePath = join(dir, 'store.db')
      const queuePath = join(dir, 'queue.db')
      const queue = (concurrency?: number) =>
        sqliteQueue({ path: queuePath, pollIntervalMs: 20, logger: false, ...(concurrency && { concurrency }) })
      return sharedRig(runs, { store: sqliteStore({ path: storePath }), queue: queue() }, () => ({
        store: sqliteStore({ path: storePath }),
        queue: queue(2),
      }))
    },
  },
  {
    name: 'redisStore (two workers on one bullmqQueue)',
    needs: 'redis',
    async make(runs) {
      const client = new Redis(REDIS_URL!)
      const storePrefix = `hgtest-order-${run}:`
      const queuePrefix = `hgtest-order-q-${run}`
      const queue = (concurrency?: number) =>
        bullmqQueue({
          connection: { url: REDIS_URL! },
          prefix: queuePrefix,
          logger: false,
          ...(concurrency ? { concurrency } : { worker: false }),
        })
      const removeKeys = async () => {
        for (const pattern of [`${storePrefix}*`, `${queuePrefix}:*`]) {
          const keys = await client.keys(pattern)
          if (keys.length > 0) await client.del(...keys)
        }
        client.disconnect()
      }
      return sharedRig(
        runs,
        { store: redisStore({ client, prefix: storePrefix }), queue: queue() },
        () => ({ store: redisStore({ client, prefix: storePrefix }), queue: queue(2) }),
        removeKeys,
      )
    },
  },
  {
    name: 'postgresStore (two workers on one postgresQueue)',
    needs: 'postgres',
    async make(runs) {
      const pool = postgresPool()
      const table = `hgtest_order_${run}`
      const schema = `hgtest_order_q_${run}`
      await migratePostgresStore(pool, { table })
      await migratePostgresQueue(pool, { schema })
      const queue = (concurrency?: number) =>
        postgresQueue({ pool, schema, pollIntervalMs: 50, logger: false, ...(concurrency && { concurrency }) })
      const drop = async () => {
        await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {})
        await pool.query(`DROP TABLE IF EXISTS ${table}_versions`).catch(() => {})
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
      }
      return sharedRig(
        runs,
        { store: postgresStore({ pool, table }), queue: queue() },
        () => ({ store: postgresStore({ pool, table }), queue: queue(2) }),
        drop,
      )
    },
  },
]

interface Delivery {
  id: string
  type: string
  entity: string | undefined
  created: number | undefined
}

function delivery(id: string, type: string, entity: string | undefined, created: number | undefined): Delivery {
  return { id, type, entity, created }
}

async function send(receiver: Receiver<Stripe.Event>, d: Delivery): Promise<void> {
  const body = JSON.stringify({
    id: d.id,
    object: 'event',
    type: d.type,
    ...(d.created !== undefined && { created: d.created }),
    data: { object: d.entity === undefined ? { object: 'balance' } : { id: d.entity, object: 'payment_intent' } },
  })
  const { headers } = await signRequest(provider, { body })
  const result = await receiver.handle({ method: 'POST', headers, body })
  expect(result.status, result.body).toBe(200)
}

/** Sends in the given order, a few at a time, so the workers see them interleaved. */
async function sendAll(receiver: Receiver<Stripe.Event>, deliveries: Delivery[], width = 3): Promise<void> {
  for (let i = 0; i < deliveries.length; i += width)
    await Promise.all(deliveries.slice(i, i + width).map((d) => send(receiver, d)))
}

const settled = (m: CountingMetrics) => (m.runs.success ?? 0) + (m.runs.stale ?? 0)

function available(needs: RigMaker['needs']): boolean {
  return needs === undefined || (needs === 'redis' ? Boolean(REDIS_URL) : Boolean(DATABASE_URL))
}

describe(`ordering: shuffled Stripe deliveries on every store (seed ${SEED})`, () => {
  for (const maker of RIGS) {
    it.skipIf(!available(maker.needs))(maker.name, { timeout: 90_000 }, async () => {
      const runs: Run[] = []
      const rig = await maker.make(runs)
      const { receiver, archive, metrics } = rig
      const random = seeded(SEED)
      const tag = `${run}_${maker.name.split(' ')[0]}`
      const entity = (name: string) => `pi_${tag}_${name}`
      let n = 0
      const id = () => `evt_${tag}_${++n}`
      try {
        // 1. The newest events first, two of them with the same version per entity: both run.
        const newest = ['A', 'B', 'C'].flatMap((e) => [
          delivery(id(), 'payment_intent.succeeded', entity(e), CREATED + 120),
          delivery(id(), 'payment_intent.amount_capturable_updated', entity(e), CREATED + 120),
        ])
        await sendAll(receiver, shuffle(newest, random), newest.length)
        await waitFor(() => settled(metrics) === newest.length, 'the newest events')
        expect(metrics.runs.stale ?? 0).toBe(0)
        expect(runs.map((r) => r.id).sort()).toEqual(newest.map((d) => d.id).sort())

        // 2. Their older events arrive afterwards (created after succeeded), interleaved: every one is stale.
        const older = shuffle(
          ['A', 'B', 'C'].flatMap((e) => [
            delivery(id(), 'payment_intent.created', entity(e), CREATED + 100),
            delivery(id(), 'payment_intent.processing', entity(e), CREATED + 110),
            delivery(id(), 'payment_intent.requires_action', entity(e), CREATED + 119),
          ]),
          random,
        )
        // An entity without a version, and an event without an entity, run whatever came before.
        const unguarded = [
          delivery(id(), 'payment_intent.partially_funded', entity('A'), undefined),
          delivery(id(), 'balance.available', undefined, CREATED + 1),
        ]
        await sendAll(receiver, [...older, ...unguarded])
        const afterTwo = newest.length + older.length + unguarded.length
        await waitFor(() => settled(metrics) === afterTwo, 'the older events')
        expect(metrics.runs.stale).toBe(older.length)
        const ran = new Set(runs.map((r) => r.id))
        for (const d of older) expect(ran.has(d.id), `${d.type} of ${d.entity} is stale`).toBe(false)
        for (const d of unguarded) expect(ran.has(d.id), `${d.type} runs unguarded`).toBe(true)

        // 3. Fully shuffled: two fresh entities, eight versions each, the top one twice.
        const mixed = ['D', 'E'].flatMap((e) =>
          [1, 2, 3, 4, 5, 6, 7, 8].map((v) => delivery(id(), 'payment_intent.processing', entity(e), CREATED + v)),
        )
        const topTwin = delivery(id(), 'payment_intent.succeeded', entity('D'), CREATED + 8)
        mixed.push(topTwin)
        await sendAll(receiver, shuffle(mixed, random))
        const total = afterTwo + mixed.length
        await waitFor(() => settled(metrics) === total, 'the shuffled events')
        checkRuns(runs, mixed)

        // Nothing silently dropped: every delivery is archived as handled or stale, and stats count them.
        // The receiver's records first: an archive ignores progress about a record it does not hold yet.
        await receiver.flushArchive()
        await rig.close()
        const stats = await archive.stats()
        expect(stats.byState.stale).toBe(metrics.runs.stale)
        expect(stats.byState.handled).toBe(runs.length)
        expect(stats.byState.handled! + stats.byState.stale!).toBe(total)
        expect(stats.byState.pending ?? 0).toBe(0)
        const { items } = await archive.list({ limit: 1000 })
        expect(items).toHaveLength(total)
        const handled = new Set(runs.map((r) => r.id))
        for (const item of items) expect(item.state).toBe(handled.has(item.eventId!) ? 'handled' : 'stale')
      } finally {
        await rig.close()
      }
    })
  }
})

/** The guard's promises on the shuffled phase, per entity. */
function checkRuns(runs: Run[], sent: Delivery[]): void {
  const ran = new Set(runs.map((r) => r.id))
  for (const name of new Set(sent.map((d) => d.entity!))) {
    const mine = runs.filter((r) => r.entity === name)
    const deliveries = sent.filter((d) => d.entity === name)
    const top = Math.max(...deliveries.map((d) => d.created!))
    // The newest version always runs, every copy of it (an equal version runs).
    for (const d of deliveries.filter((d) => d.created === top))
      expect(ran.has(d.id), `top version of ${name}`).toBe(true)
    // A skipped event was older than one that ran.
    for (const d of deliveries.filter((d) => !ran.has(d.id)))
      expect(
        mine.some((r) => r.version! > d.created!),
        `stale ${d.created} of ${name}`,
      ).toBe(true)
    // No handler started with a version older than one whose handler had already finished.
    for (const r of mine) {
      const finishedNewer = mine.filter((q) => q.end < r.start && q.version! > r.version!)
      expect(finishedNewer, `run of version ${r.version} on ${name}`).toEqual([])
    }
  }
}
