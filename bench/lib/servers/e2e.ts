/**
 * The servers of `bench:e2e`: the node:http adapter with the Stripe provider
 * over one store+queue pair, a no-op handler in the same process (so the
 * worker's cost counts, as in a single-process deployment). Store and
 * enqueue calls are timed from `mark()` on.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks'
import { STRIPE_SECRET } from '../deliveries.js'
import { load } from '../dist.js'
import type { DedupeStore, WebhookQueue } from '../../../src/index.js'
import type { BuiltServer } from './index.js'

export type E2eSetupName = 'memory' | 'sqlite' | 'redis' | 'postgres'

export interface E2eServerOptions {
  setup: E2eSetupName
  /** Run the no-op handler (the queue's worker) in this process. Default true. */
  worker?: boolean
  /** Let the receiver take the queue's atomic intake when it offers one for the store. Default true. */
  atomicIntake?: boolean
  /** The SQLite file (sqlite setup). */
  path?: string
  /** redis setup. */
  redisUrl?: string
  /** Key prefix for the redis setup; the parent deletes its keys afterwards. */
  prefix?: string
  /** memory setup: keys kept, above the run's deliveries so nothing is evicted. */
  maxKeys?: number
  /** postgres setup: the database, and a schema of its own (the parent drops it afterwards). */
  databaseUrl?: string
  pgSchema?: string
}

interface Pair {
  store: DedupeStore
  queue: WebhookQueue
  close(): Promise<void>
}

/** Time inside store and enqueue calls from `mark()` on, and how many enqueues complete together. */
class Timing {
  storeMs = 0
  storeCalls = 0
  enqueueMs = 0
  enqueues = 0
  /**
   * Event-loop turns in which at least one enqueue resolved. A queue with
   * group commit resolves a whole batch after one COMMIT, so enqueues per
   * turn estimates rows per commit without asking the queue.
   */
  enqueueTurns = 0
  private turnOpen = false
  private from = Infinity
  private loop: EventLoopUtilization = performance.eventLoopUtilization()

  mark(): void {
    Object.assign(this, { storeMs: 0, storeCalls: 0, enqueueMs: 0, enqueues: 0, enqueueTurns: 0 })
    this.from = performance.now()
    this.loop = performance.eventLoopUtilization()
  }

  /**
   * Time the event loop was not waiting for I/O since `mark()`, ms: JavaScript
   * plus every synchronous call, so a blocking fsync counts here but not as CPU.
   */
  loopBusyMs(): number {
    return performance.eventLoopUtilization(this.loop).active
  }

  async time<T>(kind: 'store' | 'enqueue', call: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      return await call()
    } finally {
      if (started >= this.from) this.count(kind, performance.now() - started)
    }
  }

  private count(kind: 'store' | 'enqueue', ms: number): void {
    if (kind === 'store') {
      this.storeMs += ms
      this.storeCalls++
      return
    }
    this.enqueueMs += ms
    this.enqueues++
    if (this.turnOpen) return
    this.turnOpen = true
    this.enqueueTurns++
    setImmediate(() => (this.turnOpen = false))
  }
}

function timedStore(store: DedupeStore, timing: Timing): DedupeStore {
  return {
    reserve: (key, leaseMs) => timing.time('store', () => store.reserve(key, leaseMs)),
    complete: (key, token, retentionMs) => timing.time('store', () => store.complete(key, token, retentionMs)),
    release: (key, token) => timing.time('store', () => store.release(key, token)),
  }
}

function timedQueue(queue: WebhookQueue, timing: Timing, store?: DedupeStore): WebhookQueue {
  // postgres, sqlite: reserve, enqueue and complete in one transaction, all timed as the enqueue.
  const intake = store && queue.atomicIntake?.(store)
  return {
    enqueue: (event) => timing.time('enqueue', () => queue.enqueue(event)),
    process: (handler, hooks) => queue.process?.(handler, hooks),
    close: () => queue.close?.() ?? Promise.resolve(),
    ...(intake ? { atomicIntake: () => (event, options) => timing.time('enqueue', () => intake(event, options)) } : {}),
  }
}

async function memoryPair(options: E2eServerOptions): Promise<Pair> {
  const { memoryQueue, memoryStore } = await load('index')
  const maxKeys = options.maxKeys ?? 200_000
  return { store: memoryStore({ maxKeys }), queue: memoryQueue({ rememberKeys: maxKeys }), close: async () => {} }
}

async function sqlitePair(options: E2eServerOptions): Promise<Pair> {
  const { sqliteQueue, sqliteStore } = await load('sqlite')
  const path = options.path!
  const store = sqliteStore({ path })
  const queue = sqliteQueue({ path })
  return { store, queue, close: async () => (await queue.close(), await store.close?.()) }
}

async function redisPair(options: E2eServerOptions): Promise<Pair> {
  const { Redis } = await import('ioredis')
  const { redisStore } = await load('redis')
  const { bullmqQueue } = await load('bullmq')
  const client = new Redis(options.redisUrl!, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
  await new Promise((resolve) => client.once('ready', resolve))
  const queue = bullmqQueue({
    connection: { url: options.redisUrl! },
    prefix: options.prefix,
    concurrency: 8,
    logger: false,
  })
  return {
    store: redisStore({ client, prefix: `${options.prefix}:dedupe:` }),
    queue,
    close: async () => (await queue.close?.(), client.disconnect()),
  }
}

async function postgresPair(options: E2eServerOptions): Promise<Pair> {
  const { default: pg } = await import('pg')
  const { migratePostgresQueue, migratePostgresStore, postgresQueue, postgresStore } = await load('postgres')
  const pool = new pg.Pool({ connectionString: options.databaseUrl!, max: 16 })
  const schema = options.pgSchema!
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`)
  await migratePostgresStore(pool, { table: `${schema}.dedupe` })
  await migratePostgresQueue(pool, { schema })
  // One pool for both: the receiver takes the queue's atomic intake.
  const store = postgresStore({ pool, table: `${schema}.dedupe`, logger: false })
  const queue = postgresQueue({ pool, schema, concurrency: 8, logger: false })
  return { store, queue, close: async () => (await queue.close(), await pool.end()) }
}

const PAIRS: Record<E2eSetupName, (options: E2eServerOptions) => Promise<Pair>> = {
  memory: memoryPair,
  sqlite: sqlitePair,
  redis: redisPair,
  postgres: postgresPair,
}

export async function buildE2eServer(options: E2eServerOptions): Promise<BuiltServer> {
  const { stripe } = await load('index')
  const { hookguard } = await load('node')
  const pair = await PAIRS[options.setup](options)
  const timing = new Timing()
  let handled = 0
  let handledAtMark = 0
  const listener = hookguard({
    provider: stripe({ secret: STRIPE_SECRET }),
    store: timedStore(pair.store, timing),
    queue: timedQueue(pair.queue, timing, options.atomicIntake === false ? undefined : pair.store),
    handler:
      options.worker === false
        ? undefined
        : () => {
            handled++
          },
    logger: false,
  })
  return {
    listener,
    mark() {
      timing.mark()
      handledAtMark = handled
    },
    stats() {
      const { storeMs, storeCalls, enqueueMs, enqueues, enqueueTurns } = timing
      const loopBusyMs = timing.loopBusyMs()
      return { handled: handled - handledAtMark, storeMs, storeCalls, enqueueMs, enqueues, enqueueTurns, loopBusyMs }
    },
    close: pair.close,
  }
}
