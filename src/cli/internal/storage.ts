/**
 * Internal: the archive and queue a command works on, from `--sqlite PATH`
 * or `--postgres URL` (and `--redis URL` for a BullMQ queue). Service
 * clients are optional peer dependencies, so they are imported only here,
 * only when asked for: `sign` and `send` run without any of them.
 *
 * @module
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { DeliveryArchive, Logger, WebhookQueue } from '../../types/index.js'
import { stringValue, type OptionSpecs, type Values } from './args.js'
import { OperationError, UsageError } from './errors.js'
import type { CliIo } from './io.js'
import { readSecret } from './secrets.js'

/** Where the archive is. */
export const STORAGE_OPTIONS: OptionSpecs = {
  sqlite: { type: 'string' },
  postgres: { type: 'string' },
  table: { type: 'string' },
}

/** Where the queue is, when it is not the archive's SQLite file. */
export const QUEUE_OPTIONS: OptionSpecs = {
  'queue-sqlite': { type: 'string' },
  'queue-table': { type: 'string' },
  redis: { type: 'string' },
  'queue-name': { type: 'string' },
  'queue-prefix': { type: 'string' },
  'queue-schema': { type: 'string' },
}

export const STORAGE_HELP = `Archive:
      --sqlite PATH        the SQLite file of sqliteArchive (and of sqliteQueue, unless --queue-sqlite)
      --postgres URL       PostgreSQL of postgresArchive (postgres://…; env:NAME keeps a password off the command line)
      --table NAME         archive table (default hookguard_archive)`

export const QUEUE_HELP = `Queue (dead letters, replay):
      --queue-sqlite PATH  SQLite file of sqliteQueue (default: --sqlite)
      --queue-table NAME   sqliteQueue table (default hookguard_jobs)
      --redis URL          the Redis of bullmqQueue (redis://…; env:NAME works too)
      --queue-name NAME    BullMQ or postgresQueue queue name (default hookguard)
      --queue-prefix P     BullMQ key prefix (default bull)
      --queue-schema S     postgresQueue's pg-boss schema (default hookguard_pgboss)
      With --postgres and none of these, the queue is postgresQueue on the same database.`

export interface Storage {
  archive: DeliveryArchive
  /** Opens the queue on first call. */
  queue(): Promise<WebhookQueue>
  close(): Promise<void>
}

/** Warnings from hookguard components go to stderr, one line each. */
export function stderrLogger(io: CliIo): Logger {
  const write = (message: string): void => void io.stderr.write(`hookguard: ${message}\n`)
  return {
    error: (_f, message) => write(message),
    warn: (_f, message) => write(message),
    info: () => {},
    debug: () => {},
  }
}

function missingPeer(error: unknown, name: string): never {
  const code = (error as { code?: string }).code
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
    throw new OperationError(`${name} is not installed: npm install ${name}`)
  throw error
}

async function sqliteTableExists(path: string, table: string): Promise<boolean> {
  const Database = (await import('better-sqlite3').catch((error) => missingPeer(error, 'better-sqlite3'))).default
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined
  } finally {
    db.close()
  }
}

function existingFile(io: CliIo, flag: string, given: string): string {
  const path = resolve(io.cwd, given)
  if (!existsSync(path)) throw new UsageError(`--${flag} ${given}: no such file`)
  return path
}

interface Opened<T> {
  value: T
  close(): Promise<void>
}

async function openSqliteQueue(values: Values, io: CliIo, flag: string, given: string): Promise<WebhookQueue> {
  const path = existingFile(io, flag, given)
  const table = stringValue(values, 'queue-table') ?? 'hookguard_jobs'
  if (!(await sqliteTableExists(path, table)))
    throw new OperationError(`${given} has no queue table ${table} (give --queue-sqlite, --queue-table or --redis)`)
  const { sqliteQueue } = await import('../../sqlite.js').catch((error) => missingPeer(error, 'better-sqlite3'))
  return sqliteQueue({ path, table, logger: stderrLogger(io) })
}

async function openSqliteArchive(values: Values, io: CliIo, given: string): Promise<Opened<DeliveryArchive>> {
  const path = existingFile(io, 'sqlite', given)
  const table = stringValue(values, 'table') ?? 'hookguard_archive'
  if (!(await sqliteTableExists(path, table))) throw new OperationError(`${given} has no archive table ${table}`)
  const { sqliteArchive } = await import('../../sqlite.js').catch((error) => missingPeer(error, 'better-sqlite3'))
  const archive = sqliteArchive({ path, table, worker: false })
  return { value: archive, close: () => archive.close() }
}

async function postgresPool(io: CliIo, given: string) {
  const url = readSecret('postgres', given, io.env, io.cwd).value
  const pg = await import('pg').catch((error) => missingPeer(error, 'pg'))
  const Pool = (pg as unknown as { default?: typeof pg }).default?.Pool ?? pg.Pool
  const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000, query_timeout: 30_000 })
  // An idle client's error (a server restart) must not crash the CLI.
  pool.on('error', () => {})
  return pool
}

async function openPostgresArchive(values: Values, io: CliIo, given: string): Promise<Opened<DeliveryArchive>> {
  const pool = await postgresPool(io, given)
  const { postgresArchive } = await import('../../postgres.js')
  const table = stringValue(values, 'table')
  const archive = postgresArchive({ pool, ...(table ? { table } : {}), logger: false })
  return {
    value: archive,
    async close() {
      await archive.close?.()
      await pool.end()
    },
  }
}

/** postgresQueue (pg-boss) on this database; never a worker here. */
async function openPostgresQueue(values: Values, io: CliIo, given: string): Promise<Opened<WebhookQueue>> {
  const { postgresQueue } = await import('../../postgres.js')
  const pool = await postgresPool(io, given)
  const name = stringValue(values, 'queue-name')
  const schema = stringValue(values, 'queue-schema')
  let queue: WebhookQueue
  try {
    queue = postgresQueue({
      pool,
      worker: false,
      logger: stderrLogger(io),
      ...(name ? { name } : {}),
      ...(schema ? { schema } : {}),
    })
  } catch (error) {
    await pool.end()
    throw error
  }
  return {
    value: queue,
    async close() {
      await queue.close?.()
      await pool.end()
    },
  }
}

async function openRedisQueue(values: Values, io: CliIo, given: string): Promise<WebhookQueue> {
  const url = readSecret('redis', given, io.env, io.cwd).value
  const { bullmqQueue } = await import('../../bullmq.js').catch((error) => missingPeer(error, 'bullmq'))
  const name = stringValue(values, 'queue-name')
  const prefix = stringValue(values, 'queue-prefix')
  return bullmqQueue({
    connection: { url, maxRetriesPerRequest: 1, connectTimeout: 5000 } as never,
    worker: false,
    checkPersistence: false,
    logger: stderrLogger(io),
    ...(name ? { name } : {}),
    ...(prefix ? { prefix } : {}),
  })
}

function closing(queue: WebhookQueue): Opened<WebhookQueue> {
  return { value: queue, close: async () => void (await queue.close?.()) }
}

/**
 * The queue the flags name: `--redis` (BullMQ), `--queue-sqlite`, the
 * `--sqlite` file, or `--postgres` (postgresQueue).
 */
export async function openQueue(values: Values, io: CliIo): Promise<Opened<WebhookQueue>> {
  const redis = stringValue(values, 'redis')
  const queueSqlite = stringValue(values, 'queue-sqlite')
  const sqlite = stringValue(values, 'sqlite')
  const postgres = stringValue(values, 'postgres')
  if (redis !== undefined && queueSqlite !== undefined) throw new UsageError('give --redis or --queue-sqlite, not both')
  if (redis !== undefined) return closing(await openRedisQueue(values, io, redis))
  if (queueSqlite !== undefined) return closing(await openSqliteQueue(values, io, 'queue-sqlite', queueSqlite))
  if (sqlite !== undefined) return closing(await openSqliteQueue(values, io, 'sqlite', sqlite))
  if (postgres !== undefined) return openPostgresQueue(values, io, postgres)
  throw new UsageError('give the queue: --sqlite PATH, --queue-sqlite PATH or --redis URL')
}

/** The archive (and, on demand, the queue) the flags name. */
export async function openStorage(values: Values, io: CliIo): Promise<Storage> {
  const sqlite = stringValue(values, 'sqlite')
  const postgres = stringValue(values, 'postgres')
  if (sqlite === undefined && postgres === undefined)
    throw new UsageError('give the archive: --sqlite PATH or --postgres URL')
  if (sqlite !== undefined && postgres !== undefined) throw new UsageError('give --sqlite or --postgres, not both')
  const archive =
    sqlite !== undefined
      ? await openSqliteArchive(values, io, sqlite)
      : await openPostgresArchive(values, io, postgres!)
  let queue: Promise<Opened<WebhookQueue>> | undefined
  return {
    archive: archive.value,
    async queue() {
      queue ??= openQueue(values, io)
      return (await queue).value
    },
    async close() {
      const open = await queue?.catch(() => undefined)
      await open?.close()
      await archive.close()
    },
  }
}

/** Runs `work` with the storage the flags name, closing it afterwards whatever happens. */
export async function withStorage<T>(values: Values, io: CliIo, work: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = await openStorage(values, io)
  try {
    return await work(storage)
  } finally {
    await storage.close()
  }
}
