/**
 * Internal: deleting finished and dead jobs past their retention, a bounded
 * batch at a time.
 *
 * @module
 */
import type { Statement } from 'better-sqlite3'
import type { SqliteDatabase } from '../../internal/sqlite.js'
import type { QueueState } from './state.js'

export interface PurgeStatements {
  purge: Statement<[{ now: number; limit: number }]>
}

export function preparePurge(db: SqliteDatabase, table: string): PurgeStatements {
  return {
    purge: db.prepare(
      `DELETE FROM ${table} WHERE id IN (
         SELECT id FROM ${table} WHERE expires_at <= @now AND state IN ('done', 'dead') LIMIT @limit)`,
    ),
  }
}

/** Deletes up to `purgeBatchSize` expired rows now; returns how many went. */
export function purge(s: QueueState): number {
  const now = s.now()
  const deleted = s.statements.purge.purge.run({ now, limit: s.purgeBatchSize }).changes
  // A full batch means more is waiting: purge again on the next pass.
  s.nextPurgeAt = deleted === s.purgeBatchSize ? now : now + s.purgeIntervalMs
  return deleted
}

/** Purges when the interval has passed; a failure is reported, never thrown. */
export function maybePurge(s: QueueState): void {
  if (s.now() < s.nextPurgeAt) return
  try {
    purge(s)
  } catch (error) {
    s.nextPurgeAt = s.now() + s.purgeIntervalMs
    s.onError(error)
  }
}
