/**
 * What the disk allows, without hookguard: plain better-sqlite3 loops that
 * write the rows an intake writes, in WAL mode, committing N rows per
 * transaction with synchronous=FULL (one fsync per commit), as the queue's
 * group commit does when N requests arrive together.
 */
import Database from 'better-sqlite3'

export interface FloorOptions {
  path: string
  /** Rows per commit. */
  rowsPerCommit: number
  durationMs: number
  /** Also write a dedupe row per event (insert + update, own transactions, synchronous=NORMAL), as the store does. */
  withDedupe: boolean
  /** The row's payload and headers, as the queue stores them. */
  payload: string
  headers: string
}

export interface FloorResult {
  rowsPerCommit: number
  withDedupe: boolean
  rowsPerSecond: number
  commitsPerSecond: number
  /** Mean time of one group commit (the fsync included), ms. */
  commitMs: number
}

const QUEUE_TABLE = `CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, state TEXT NOT NULL, event_id TEXT NOT NULL, provider TEXT NOT NULL,
  type TEXT, timestamp INTEGER, received_at INTEGER NOT NULL, payload TEXT NOT NULL, headers TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0, run_at INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`
const DEDUPE_TABLE = `CREATE TABLE IF NOT EXISTS dedupe (
  key TEXT PRIMARY KEY, token TEXT NOT NULL, state TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID`

function open(path: string, synchronous: 'FULL' | 'NORMAL'): Database.Database {
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.pragma('busy_timeout = 5000')
  return db
}

/** Runs the loop for about `durationMs`; keys are unique per call (a random prefix). */
export function fsyncFloor(options: FloorOptions): FloorResult {
  const queueDb = open(options.path, 'FULL')
  const dedupeDb = open(options.path, 'NORMAL')
  queueDb.exec(QUEUE_TABLE)
  dedupeDb.exec(DEDUPE_TABLE)
  const insertJob = queueDb.prepare(
    `INSERT INTO jobs (key, state, event_id, provider, type, timestamp, received_at, payload, headers, run_at, created_at, updated_at)
     VALUES (?, 'pending', ?, 'stripe', 'invoice.paid', ?, ?, ?, ?, ?, ?, ?)`,
  )
  const commit = queueDb.transaction((keys: string[], now: number) => {
    for (const key of keys)
      insertJob.run(key, key, Math.floor(now / 1000), now, options.payload, options.headers, now, now, now)
  })
  const reserve = dedupeDb.prepare(`INSERT INTO dedupe (key, token, state, expires_at) VALUES (?, ?, 'reserved', ?)`)
  const complete = dedupeDb.prepare(`UPDATE dedupe SET state = 'done', expires_at = ? WHERE key = ? AND token = ?`)
  const prefix = Math.random().toString(36).slice(2, 10)
  let rows = 0
  let commits = 0
  let commitMs = 0
  const started = performance.now()
  while (performance.now() - started < options.durationMs) {
    const now = Date.now()
    const keys = Array.from({ length: options.rowsPerCommit }, (_, i) => `stripe:evt_${prefix}_${rows + i}`)
    if (options.withDedupe) for (const key of keys) reserve.run(key, 'token', now + 30_000)
    const commitStarted = performance.now()
    commit.immediate(keys, now)
    commitMs += performance.now() - commitStarted
    if (options.withDedupe) for (const key of keys) complete.run(now + 86_400_000, key, 'token')
    rows += keys.length
    commits++
  }
  const seconds = (performance.now() - started) / 1000
  queueDb.close()
  dedupeDb.close()
  return {
    rowsPerCommit: options.rowsPerCommit,
    withDedupe: options.withDedupe,
    rowsPerSecond: rows / seconds,
    commitsPerSecond: commits / seconds,
    commitMs: commitMs / Math.max(1, commits),
  }
}
