/**
 * `hookguard/postgres`: a dedupe store in one PostgreSQL table, shared by
 * every instance that uses the same database. Bring your own `pg` Pool.
 * With the optional peer `pg-boss`, `postgresQueue` is a durable queue on the
 * same database; given the same Pool as the store, each delivery is deduped
 * and enqueued in one transaction.
 *
 * @example
 * ```ts
 * import { Pool } from 'pg'
 * import { createReceiver, stripe } from 'hookguard'
 * import { migratePostgresStore, postgresStore } from 'hookguard/postgres'
 *
 * const pool = new Pool({ connectionString: process.env.DATABASE_URL, query_timeout: 1000 })
 * await migratePostgresStore(pool) // once per deploy; creates hookguard_dedupe if missing
 * const receiver = createReceiver({
 *   provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET! }),
 *   store: postgresStore({ pool }),
 * })
 * ```
 *
 * @module
 */
export {
  migratePostgresStore,
  postgresStore,
  type MigrateOptions,
  type PostgresQueryable,
  type PostgresStore,
  type PostgresStoreOptions,
  type PurgeOptions,
} from './stores/postgres.js'
export {
  migratePostgresArchive,
  postgresArchive,
  type MigratePostgresArchiveOptions,
  type PostgresArchive,
  type PostgresArchiveOptions,
  type PostgresArchiveQueryable,
} from './archive/postgres.js'
export {
  migratePostgresQueue,
  postgresQueue,
  type PostgresQueue,
  type PostgresQueueClient,
  type PostgresQueueLocation,
  type PostgresQueueOptions,
  type PostgresQueuePool,
} from './queues/postgres/index.js'
