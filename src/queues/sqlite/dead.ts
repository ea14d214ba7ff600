/**
 * Internal: dead letters — listing them, putting them back with fresh
 * attempts, discarding them.
 *
 * @module
 */
import type { Statement } from 'better-sqlite3'
import type { SqliteDatabase } from '../../internal/sqlite.js'
import type { DeadLetter } from '../../types/index.js'
import { deadLetter } from '../internal/event.js'
import { JOB_COLUMNS, toEvent, type JobRow } from './rows.js'
import type { QueueState } from './state.js'
import { schedule } from './worker.js'

type DeadRow = JobRow & { last_error: string | null; updated_at: number }

export interface DeadStatements {
  list: Statement<[number], DeadRow>
  revive: Statement<[{ key: string; now: number }]>
  reviveAll: Statement<[{ now: number }]>
  discard: Statement<[string]>
}

export function prepareDead(db: SqliteDatabase, table: string): DeadStatements {
  const fresh = `state = 'pending', attempt = 0, run_at = @now, claimed_by = NULL, claimed_until = NULL, last_error = NULL,
    expires_at = NULL, updated_at = @now`
  return {
    list: db.prepare(
      `SELECT ${JOB_COLUMNS}, last_error, updated_at FROM ${table}
       WHERE state = 'dead' ORDER BY updated_at DESC, id DESC LIMIT ?`,
    ),
    revive: db.prepare(`UPDATE ${table} SET ${fresh} WHERE key = @key AND state = 'dead'`),
    reviveAll: db.prepare(`UPDATE ${table} SET ${fresh} WHERE state = 'dead'`),
    discard: db.prepare(`DELETE FROM ${table} WHERE key = ? AND state = 'dead'`),
  }
}

function toDeadLetter(row: DeadRow): DeadLetter {
  let event
  try {
    event = toEvent(row)
  } catch {
    // Dead-lettered because it could not be read back: show what is known.
    event = {
      id: row.event_id,
      key: row.key,
      provider: row.provider,
      receivedAt: row.received_at,
      payload: null,
      headers: {},
      attempt: row.attempt,
    }
  }
  return deadLetter(event, row.last_error ?? '', row.updated_at)
}

export function listDead(s: QueueState, limit: number): DeadLetter[] {
  return s.statements.dead.list.all(limit).map(toDeadLetter)
}

export function retryDead(s: QueueState, key: string): boolean {
  const revived = s.statements.dead.revive.run({ key, now: s.now() }).changes === 1
  if (revived) schedule(s, 0)
  return revived
}

export function retryAllDead(s: QueueState): number {
  const revived = s.statements.dead.reviveAll.run({ now: s.now() }).changes
  if (revived > 0) schedule(s, 0)
  return revived
}

export function discardDead(s: QueueState, key: string): boolean {
  return s.statements.dead.discard.run(key).changes === 1
}
