/**
 * Internal: putting an event in the queue, alone (autocommit) or inside the
 * caller's transaction. Idempotent by key through hookguard's unique index:
 * pg-boss's insert does nothing when the key has a job; a dead job is then
 * revived with the new event.
 *
 * @module
 */
import type { QueuedEvent } from '../../types/index.js'
import { checkQueuedEvent } from '../internal/event.js'
import { closedError } from '../internal/options.js'
import type { BossDb } from './boss.js'
import { encodeJobData } from './event.js'
import { WHERE, type PostgresQueueClient, type PostgresQueuePool } from './options.js'
import { boss, isMissingObject, notMigrated, query, ready, track, type QueueState } from './state.js'
import { schedule } from './worker.js'

type Queryable = Pick<PostgresQueuePool, 'query'> | PostgresQueueClient

async function insert(s: QueueState, event: QueuedEvent, data: string, db: BossDb | undefined): Promise<boolean> {
  const instance = await boss(s)
  try {
    const id = await instance.send(s.name, data as unknown as object, {
      singletonKey: event.key,
      // pg-boss reads these only when a job's worker died (it expired); the claiming worker sets them again
      // from its own options. hookguard retries handler failures itself.
      retryLimit: s.retry.attempts - 1,
      retryDelay: Math.round(s.retry.backoffMs / 1000),
      retryBackoff: true,
      expireInSeconds: s.visibilityTimeoutMs / 1000,
      ...(db ? { db } : {}),
    })
    return id !== null
  } catch (error) {
    if (isMissingObject(error)) throw notMigrated(s, `pg-boss schema "${s.schema}" is not set up`, error)
    throw error
  }
}

/**
 * Inserts the job, or revives the key's dead job with this event, or does
 * nothing when the key has a live or recently finished job. `on`/`db` run
 * it inside the caller's transaction.
 */
export async function put(s: QueueState, event: QueuedEvent, on: Queryable = s.pool, db?: BossDb): Promise<void> {
  const data = encodeJobData(event)
  for (let round = 0; round < 2; round++) {
    if (await insert(s, event, data, db)) return
    const revived = await query(s, s.sql.revive, [s.name, event.key, data, s.retry.attempts - 1], on)
    if (revived.rowCount) return
    if ((await query(s, s.sql.exists, [s.name, event.key], on)).rowCount) return
    // Nothing blocked the key, yet nothing was inserted: the queue row is gone, or the job was discarded just now.
    s.readyPromise = undefined
    await ready(s)
  }
  throw new Error(`hookguard ${WHERE}: pg-boss inserted no job for an event; check queue "${s.name}"`)
}

/** checkQueuedEvent, and a key PostgreSQL text can hold exactly (no NUL; a lone surrogate would become U+FFFD and collide). */
export function checkEvent(input: QueuedEvent): QueuedEvent {
  const event = checkQueuedEvent(WHERE, input)
  if (event.key.includes('\u0000') || !event.key.isWellFormed())
    throw new TypeError(`hookguard: ${WHERE}: event.key must be well-formed Unicode without NUL characters`)
  return event
}

export function enqueue(s: QueueState, input: QueuedEvent): Promise<void> {
  if (s.closed) return Promise.reject(closedError(WHERE))
  let event: QueuedEvent
  try {
    event = checkEvent(input)
  } catch (error) {
    return Promise.reject(error)
  }
  return track(
    s,
    (async () => {
      await ready(s)
      await put(s, event)
      schedule(s, 0)
    })(),
  )
}
