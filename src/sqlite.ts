/**
 * `hookguard/sqlite`: an embedded, durable dedupe store and queue in one
 * SQLite file (better-sqlite3, an optional peer dependency). A 2xx then means
 * the event is committed to disk and will be handled, after a restart too.
 *
 * @example
 * ```ts
 * import { createReceiver, stripe } from 'hookguard'
 * import { sqliteQueue, sqliteStore } from 'hookguard/sqlite'
 *
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   store: sqliteStore({ path: 'webhooks.db' }),
 *   queue: sqliteQueue({ path: 'webhooks.db' }),
 *   handler: async (event) => { await fulfil(event.payload) },
 * })
 * ```
 *
 * @module
 */
export {
  sqliteStore,
  type SqliteStore,
  type SqliteStoreOptions,
  type SqliteConnectionOptions,
  type SqliteDatabase,
  type SqliteSynchronous,
} from './stores/sqlite.js'
export {
  sqliteQueue,
  type SqliteQueue,
  type SqliteQueueOptions,
  type SqliteCommitStats,
} from './queues/sqlite/index.js'
export { sqliteArchive, type SqliteArchive, type SqliteArchiveOptions } from './archive/sqlite.js'
export type { DeadLetter, QueueStats, WorkerHooks } from './types/index.js'
