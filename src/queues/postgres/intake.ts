/**
 * Internal: atomic intake. With `postgresStore` on the same Pool, the
 * receiver's three steps — reserve the dedupe key, enqueue, complete the key
 * — run in one transaction on one connection: the dedupe row and the job
 * commit together or not at all, so no crash leaves a reservation without a
 * job or a job without a completed key.
 *
 * The dedupe statements follow `postgresStore`'s table and semantics
 * (key, token, done, expires_at on the database clock): a queue may not
 * import a store, so the shape is the shared contract.
 *
 * @module
 */
import { randomToken } from '../../crypto.js'
import type { AtomicIntake, DedupeStore, IntakeResult, QueuedEvent } from '../../types/index.js'
import { closedError } from '../internal/options.js'
import { bossDb } from './boss.js'
import { checkEvent, put } from './enqueue.js'
import { WHERE, type PostgresQueueClient } from './options.js'
import { ready, track, type QueueState } from './state.js'
import { schedule } from './worker.js'

const PART = /^[a-z_][a-z0-9_]{0,47}$/
const UNDEFINED_TABLE = '42P01'

interface DedupeTable {
  /** As the store reports it, for messages. */
  name: string
  take: string
  recheck: string
  complete: string
  /** Whether the "table missing" error was logged since the last success. */
  warned: boolean
}

function dedupeTable(name: string): DedupeTable {
  const t = name
    .split('.')
    .map((part) => `"${part}"`)
    .join('.')
  const expiry = `clock_timestamp() + $3::float8 * interval '1 millisecond'`
  const live = `CASE WHEN done THEN 'duplicate' ELSE 'in_flight' END AS status,
       ceil(extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms`
  return {
    name,
    // postgresStore's reserve: insert, or take over an expired row; else report the live one.
    take: `
WITH won AS (
  INSERT INTO ${t} AS d (key, token, done, expires_at) VALUES ($1, $2, false, ${expiry})
  ON CONFLICT (key) DO UPDATE SET token = excluded.token, done = false, expires_at = excluded.expires_at
  WHERE d.expires_at <= clock_timestamp()
  RETURNING 1
)
SELECT 'reserved' AS status, NULL::float8 AS remaining_ms FROM won
UNION ALL
SELECT ${live} FROM ${t} WHERE key = $1 AND expires_at > clock_timestamp() AND NOT EXISTS (SELECT 1 FROM won)`,
    // The statement above reads a snapshot from before it waited on a concurrent winner; a new statement sees its commit.
    recheck: `SELECT ${live} FROM ${t} WHERE key = $1 AND expires_at > clock_timestamp()`,
    complete: `UPDATE ${t} SET done = true, expires_at = ${expiry} WHERE key = $1 AND token = $2 AND NOT done`,
    warned: false,
  }
}

/** The store's table when `store` is a postgresStore on this very Pool; otherwise undefined. */
function storeTable(s: QueueState, store: DedupeStore): string | undefined {
  const candidate = store as { pool?: unknown; table?: unknown } | null
  if (!candidate || candidate.pool !== s.pool || typeof candidate.table !== 'string') return undefined
  const parts = candidate.table.split('.')
  return parts.length <= 2 && parts.every((part) => PART.test(part)) ? candidate.table : undefined
}

async function dedupeQuery(
  t: DedupeTable,
  s: QueueState,
  client: PostgresQueueClient,
  text: string,
  values: unknown[],
): Promise<{ rows: any[]; rowCount: number | null }> {
  try {
    const result = await client.query(text, values)
    t.warned = false
    return result
  } catch (error) {
    if ((error as { code?: unknown })?.code !== UNDEFINED_TABLE) throw error
    const migration = `migratePostgresStore(pool, { table: '${t.name}' })`
    const message =
      `${WHERE}.atomicIntake: table ${t.name} does not exist; run ${migration} (or store.migrate()) ` +
      'before serving — deliveries get 503 until then'
    if (!t.warned) {
      t.warned = true
      s.logger.error({ table: t.name, migration }, message)
    }
    throw new Error(`hookguard ${message}`, { cause: error })
  }
}

type Row = { status: string; remaining_ms: number | null } | undefined

function result(row: Row): IntakeResult | 'reserved' {
  if (row?.status === 'reserved') return 'reserved'
  if (row?.status === 'duplicate') return { status: 'duplicate' }
  if (row?.status === 'in_flight' && typeof row.remaining_ms === 'number')
    return { status: 'in_flight', retryAfterMs: Math.max(0, row.remaining_ms) }
  return { status: 'in_flight' }
}

async function take(
  t: DedupeTable,
  s: QueueState,
  client: PostgresQueueClient,
  values: [string, string, number],
): Promise<IntakeResult | 'reserved'> {
  const { rows } = await dedupeQuery(t, s, client, t.take, values)
  if (rows[0]) return result(rows[0])
  return result((await dedupeQuery(t, s, client, t.recheck, [values[0]])).rows[0])
}

/** ROLLBACK after a failure; a connection that cannot even roll back is returned as broken. */
async function rollback(client: PostgresQueueClient, error: unknown): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK')
    return undefined
  } catch {
    return error instanceof Error ? error : new Error(String(error))
  }
}

async function transact(t: DedupeTable, s: QueueState, event: QueuedEvent, leaseMs: number, retentionMs: number) {
  const key = event.key
  const token = randomToken()
  const client = await s.pool.connect()
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const taken = await take(t, s, client, [key, token, leaseMs])
    if (taken !== 'reserved') {
      await client.query('ROLLBACK')
      return taken
    }
    await s.pause?.('after-reserve', key)
    await put(s, event, client, bossDb(client))
    await s.pause?.('after-enqueue', key)
    const completed = await dedupeQuery(t, s, client, t.complete, [key, token, retentionMs])
    if (completed.rowCount !== 1) throw new Error(`hookguard ${WHERE}: the dedupe row changed inside the transaction`)
    await s.pause?.('before-commit', key)
    await client.query('COMMIT')
    return 'committed' as const
  } catch (error) {
    broken = await rollback(client, error)
    throw error
  } finally {
    client.release(broken ?? false)
  }
}

function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw new TypeError(
      `hookguard: ${WHERE}.atomicIntake: ${name} must be a positive number of ms (got ${String(value)})`,
    )
  return Math.ceil(value)
}

async function intake(t: DedupeTable, s: QueueState, input: QueuedEvent, options: unknown): Promise<IntakeResult> {
  const event = checkEvent(input)
  const o = (options ?? {}) as { leaseMs?: unknown; retentionMs?: unknown }
  const leaseMs = positiveMs('leaseMs', o.leaseMs)
  const retentionMs = positiveMs('retentionMs', o.retentionMs)
  await ready(s)
  await s.pause?.('before-begin', event.key)
  const outcome = await transact(t, s, event, leaseMs, retentionMs)
  if (outcome !== 'committed') return outcome
  await s.pause?.('after-commit', event.key)
  schedule(s, 0)
  return { status: 'accepted' }
}

/** `queue.atomicIntake(store)`: the one-transaction intake, or undefined when `store` is not a postgresStore on this Pool. */
export function atomicIntake(s: QueueState, store: DedupeStore): AtomicIntake | undefined {
  const name = storeTable(s, store)
  if (name === undefined) return undefined
  const t = dedupeTable(name)
  return function postgresAtomicIntake(event, options) {
    if (s.closed) return Promise.reject(closedError(WHERE))
    return track(s, intake(t, s, event, options))
  }
}
