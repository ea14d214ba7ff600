/**
 * Internal: counts and dead letters — pg-boss's failed jobs of the queue.
 *
 * @module
 */
import type { DeadLetter, QueueStats, WebhookEvent } from '../../types/index.js'
import { deadLetter } from '../internal/event.js'
import { decodeJobData } from './event.js'
import { query, ready, type QueueState } from './state.js'
import { schedule } from './worker.js'

const STATES: Record<string, keyof QueueStats | undefined> = {
  created: 'pending',
  retry: 'pending',
  active: 'running',
  completed: 'done',
  failed: 'dead',
}

export async function countStates(s: QueueState): Promise<QueueStats> {
  await ready(s)
  const stats: QueueStats = { pending: 0, running: 0, done: 0, dead: 0 }
  for (const { state, n } of (await query(s, s.sql.stats, [s.name])).rows as Array<{ state: string; n: number }>) {
    const name = STATES[state]
    if (name) stats[name] += n
  }
  return stats
}

interface DeadRow {
  key: string
  data: unknown
  retry_count: number
  error: string
  failed_at: number
}

function toDeadLetter(row: DeadRow): DeadLetter {
  const attempts = row.retry_count + 1
  let event: WebhookEvent
  try {
    event = decodeJobData(row.data, attempts)
  } catch {
    // Dead-lettered because it could not be read back: show what is known.
    event = { id: '', key: row.key, provider: '', receivedAt: 0, payload: null, headers: {}, attempt: attempts }
  }
  return deadLetter(event, row.error, row.failed_at)
}

export async function listDead(s: QueueState, limit: number): Promise<DeadLetter[]> {
  await ready(s)
  return ((await query(s, s.sql.deadList, [s.name, limit])).rows as DeadRow[]).map(toDeadLetter)
}

export async function retryDead(s: QueueState, key: string): Promise<boolean> {
  await ready(s)
  const revived = (await query(s, s.sql.retryDead, [s.name, key])).rowCount === 1
  if (revived) schedule(s, 0)
  return revived
}

export async function retryAllDead(s: QueueState): Promise<number> {
  await ready(s)
  const revived = (await query(s, s.sql.retryAllDead, [s.name])).rowCount ?? 0
  if (revived > 0) schedule(s, 0)
  return revived
}

export async function discardDead(s: QueueState, key: string): Promise<boolean> {
  await ready(s)
  return (await query(s, s.sql.discardDead, [s.name, key])).rowCount === 1
}
