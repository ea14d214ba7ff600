/**
 * Durable queue and worker on SQLite (better-sqlite3). `enqueue` resolves
 * after the row is committed; the worker claims rows with a visibility
 * timeout, so a job whose worker died runs again, here or in another process.
 *
 * @module
 */
import { randomToken } from '../crypto.js'
import { configError } from '../errors.js'
import {
  checkOptions,
  checkTableName,
  ensureTable,
  openSqlite,
  positiveInteger,
  type SqliteConnectionOptions,
  type SqliteSynchronous,
} from '../internal/sqlite.js'
import type { QueuedEvent, WebhookEvent, WebhookHandler, WebhookQueue } from '../types/index.js'
import type { WorkerHooks } from './memory.js'
import { resolveRetry, type RetryOptions } from './retry.js'

export interface SqliteQueueOptions extends SqliteConnectionOptions, RetryOptions, WorkerHooks {
  /** Table holding the jobs; created when missing. Default 'hookguard_jobs'. */
  table?: string
  /**
   * Commit level. Default 'full': each enqueue batch is fsynced before
   * `enqueue` resolves, so an accepted event survives a power loss. 'normal'
   * survives a crash of the process but a power loss or OS crash can roll
   * back the last commits — events already answered 2xx. The queue raises a
   * shared connection to this level and never lowers it.
   */
  synchronous?: SqliteSynchronous
  /** Handlers running at once in this process. Default 4. */
  concurrency?: number
  /**
   * How long a claimed job stays invisible to other workers, ms. A running
   * handler's claim is renewed every third of this; a job whose worker died
   * becomes claimable again when its claim runs out. Default 30 000.
   */
  visibilityTimeoutMs?: number
  /** How often the worker looks for jobs enqueued by other processes or due retries, ms. Default 500. */
  pollIntervalMs?: number
  /**
   * How long a finished job's key is kept so a re-delivery stays a no-op, ms
   * (its payload and headers are dropped when it finishes). Keep it at least
   * as long as the receiver's `retentionMs`. Default 4 days.
   */
  retentionMs?: number
  /** How long a dead-lettered job is kept for inspection and `retryDead`, ms. Default 30 days. */
  deadRetentionMs?: number
  /** How often finished and dead jobs past their retention are deleted, ms. Default 60 000. */
  purgeIntervalMs?: number
  /** Most rows deleted by one purge, so no single call does unbounded work. Default 1000. */
  purgeBatchSize?: number
  /** Worker errors that are not the handler's (a busy or closed database). Default: `console.error`. */
  onError?: (error: unknown) => void
}

/** A job given up after its last attempt. */
export interface DeadLetter {
  event: WebhookEvent
  /** The last error's message (errors are stored as text). */
  error: string
  /** When it was dead-lettered, ms since the epoch. */
  failedAt: number
}

export interface SqliteQueueStats {
  /** Waiting to run (new, or waiting for a retry). */
  pending: number
  /** Claimed by a worker (this one or another process's). */
  running: number
  /** Finished, kept for the retention period. */
  done: number
  /** Given up after the last attempt. */
  dead: number
  /** Transactions `enqueue` committed in this instance (group commit puts many events in one). */
  commits: number
  /** Events those transactions carried, duplicates included. */
  enqueued: number
}

export interface SqliteQueue extends WebhookQueue {
  process(handler: WebhookHandler): void
  close(): Promise<void>
  stats(): SqliteQueueStats
  /** Dead-lettered jobs, most recent first. Default limit 100. */
  deadLetters(limit?: number): DeadLetter[]
  /** Put a dead-lettered job back with fresh attempts. Returns whether `key` was dead. */
  retryDead(key: string): boolean
  /** Delete up to `purgeBatchSize` expired rows now; returns how many went. */
  purge(): number
}

interface JobRow {
  id: number
  key: string
  event_id: string
  provider: string
  type: string | null
  timestamp: number | null
  received_at: number
  payload: string
  headers: string
  attempt: number
}

interface Pending {
  row: InsertRow
  resolve: () => void
  reject: (error: unknown) => void
}

interface InsertRow {
  key: string
  eventId: string
  provider: string
  type: string | null
  timestamp: number | null
  receivedAt: number
  payload: string
  headers: string
  now: number
}

const COLUMNS = [
  'id',
  'key',
  'state',
  'event_id',
  'provider',
  'type',
  'timestamp',
  'received_at',
  'payload',
  'headers',
  'attempt',
  'run_at',
  'claimed_by',
  'claimed_until',
  'last_error',
  'created_at',
  'updated_at',
  'expires_at',
]

function callHook<A extends unknown[]>(hook: ((...args: A) => void) | undefined, ...args: A): void {
  try {
    hook?.(...args)
  } catch {
    // A broken hook must not break the worker.
  }
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text
}

function toEvent(row: JobRow): WebhookEvent {
  return {
    id: row.event_id,
    key: row.key,
    provider: row.provider,
    ...(row.type !== null ? { type: row.type } : {}),
    ...(row.timestamp !== null ? { timestamp: row.timestamp } : {}),
    receivedAt: row.received_at,
    payload: JSON.parse(row.payload),
    headers: JSON.parse(row.headers),
    attempt: row.attempt,
  }
}

/**
 * Durable queue in a SQLite table, with its worker.
 *
 * @example
 * ```ts
 * import { sqliteStore, sqliteQueue } from 'hookguard/sqlite'
 * const queue = sqliteQueue({ path: 'hooks.db', attempts: 8 })
 * const receiver = createReceiver({ provider, store: sqliteStore({ path: 'hooks.db' }), queue, handler })
 * ```
 */
export function sqliteQueue(options: SqliteQueueOptions): SqliteQueue {
  const where = 'sqliteQueue'
  checkOptions(where, options)
  const table = checkTableName(where, options.table, 'hookguard_jobs')
  const retry = resolveRetry(where, options)
  const synchronous = options.synchronous ?? 'full'
  if (synchronous !== 'normal' && synchronous !== 'full')
    throw configError(`${where}: synchronous must be 'normal' or 'full'`)
  const concurrency = positiveInteger(where, 'concurrency', options.concurrency, 4)
  const visibilityTimeoutMs = positiveInteger(where, 'visibilityTimeoutMs', options.visibilityTimeoutMs, 30_000)
  if (visibilityTimeoutMs < 30) throw configError(`${where}: visibilityTimeoutMs must be at least 30 ms`)
  const pollIntervalMs = positiveInteger(where, 'pollIntervalMs', options.pollIntervalMs, 500)
  const retentionMs = positiveInteger(where, 'retentionMs', options.retentionMs, 4 * 24 * 3600 * 1000)
  const deadRetentionMs = positiveInteger(where, 'deadRetentionMs', options.deadRetentionMs, 30 * 24 * 3600 * 1000)
  const purgeIntervalMs = positiveInteger(where, 'purgeIntervalMs', options.purgeIntervalMs, 60_000)
  const purgeBatchSize = positiveInteger(where, 'purgeBatchSize', options.purgeBatchSize, 1000)
  for (const hook of ['onSuccess', 'onRetry', 'onDeadLetter', 'onError'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function')
      throw configError(`${where}: ${hook} must be a function`)
  }
  const onError = options.onError ?? ((error: unknown) => console.error(`hookguard sqliteQueue: ${errorText(error)}`))

  // The queue asks for at least its level even on a shared connection: a 2xx
  // promises the event is on disk, which must not depend on who opened it.
  const { db, owned } = openSqlite(where, options, synchronous, 'raise')
  try {
    ensureTable(
      where,
      db,
      table,
      `CREATE TABLE IF NOT EXISTS ${table} (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
        event_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        type TEXT,
        timestamp INTEGER,
        received_at INTEGER NOT NULL,
        payload TEXT NOT NULL,
        headers TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        run_at INTEGER NOT NULL,
        claimed_by TEXT,
        claimed_until INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER
      )`,
      `CREATE INDEX IF NOT EXISTS ${table}_due ON ${table} (state, run_at);
      CREATE INDEX IF NOT EXISTS ${table}_claims ON ${table} (state, claimed_until);
      CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at) WHERE expires_at IS NOT NULL;`,
      COLUMNS,
    )
  } catch (error) {
    if (owned) db.close()
    throw error
  }

  // Idempotent by key: a live row of any state wins; only a finished row past
  // its retention (not purged yet) is replaced, as if it had been purged.
  const insert = db.prepare<[InsertRow]>(
    `INSERT INTO ${table} (key, state, event_id, provider, type, timestamp, received_at, payload, headers, attempt, run_at, created_at, updated_at)
     VALUES (@key, 'pending', @eventId, @provider, @type, @timestamp, @receivedAt, @payload, @headers, 0, @now, @now, @now)
     ON CONFLICT (key) DO UPDATE SET state = 'pending', event_id = excluded.event_id, provider = excluded.provider, type = excluded.type,
       timestamp = excluded.timestamp, received_at = excluded.received_at, payload = excluded.payload, headers = excluded.headers,
       attempt = 0, run_at = excluded.run_at, claimed_by = NULL, claimed_until = NULL, last_error = NULL,
       created_at = excluded.created_at, updated_at = excluded.updated_at, expires_at = NULL
     WHERE ${table}.state IN ('done', 'dead') AND ${table}.expires_at <= @now`,
  )
  const insertBatch = db.transaction((rows: InsertRow[]) => {
    for (const row of rows) insert.run(row)
  })
  // Claims due jobs and jobs whose worker stopped renewing its claim. One
  // statement: SQLite takes the write lock before it reads, so two workers
  // can never claim the same row.
  const claim = db.prepare<[{ worker: string; now: number; until: number; limit: number }], JobRow>(
    `UPDATE ${table} SET state = 'running', claimed_by = @worker, claimed_until = @until, attempt = attempt + 1, updated_at = @now
     WHERE id IN (
       SELECT id FROM ${table} WHERE state = 'pending' AND run_at <= @now
       UNION ALL
       SELECT id FROM ${table} WHERE state = 'running' AND claimed_until <= @now
       LIMIT @limit)
     RETURNING id, key, event_id, provider, type, timestamp, received_at, payload, headers, attempt`,
  )
  const renew = db.prepare<[{ worker: string; now: number; until: number }]>(
    `UPDATE ${table} SET claimed_until = @until, updated_at = @now WHERE state = 'running' AND claimed_by = @worker`,
  )
  // Every outcome is a compare-and-set on (claimed_by, attempt): a worker
  // whose claim ran out and was taken over changes nothing. A done row only
  // has to block its key, so its payload and headers are dropped.
  const markDone = db.prepare<[{ id: number; worker: string; attempt: number; now: number; expiresAt: number }]>(
    `UPDATE ${table} SET state = 'done', payload = 'null', headers = '{}', claimed_by = NULL, claimed_until = NULL, last_error = NULL,
       updated_at = @now, expires_at = @expiresAt
     WHERE id = @id AND state = 'running' AND claimed_by = @worker AND attempt = @attempt`,
  )
  const markRetry = db.prepare<
    [{ id: number; worker: string; attempt: number; now: number; runAt: number; error: string }]
  >(
    `UPDATE ${table} SET state = 'pending', claimed_by = NULL, claimed_until = NULL, run_at = @runAt, last_error = @error, updated_at = @now
     WHERE id = @id AND state = 'running' AND claimed_by = @worker AND attempt = @attempt`,
  )
  const markDead = db.prepare<
    [{ id: number; worker: string; attempt: number; now: number; expiresAt: number; error: string }]
  >(
    `UPDATE ${table} SET state = 'dead', claimed_by = NULL, claimed_until = NULL, last_error = @error, updated_at = @now, expires_at = @expiresAt
     WHERE id = @id AND state = 'running' AND claimed_by = @worker AND attempt = @attempt`,
  )
  // A claim that ran out during the last attempt: that attempt counts as failed.
  const markLost = db.prepare<
    [{ id: number; worker: string; attempt: number; now: number; expiresAt: number; error: string }]
  >(
    `UPDATE ${table} SET state = 'dead', attempt = attempt - 1, claimed_by = NULL, claimed_until = NULL, last_error = @error, updated_at = @now, expires_at = @expiresAt
     WHERE id = @id AND state = 'running' AND claimed_by = @worker AND attempt = @attempt`,
  )
  const nextDue = db.prepare<[], number | null>(`SELECT MIN(run_at) FROM ${table} WHERE state = 'pending'`).pluck()
  const purgeStatement = db.prepare<[{ now: number; limit: number }]>(
    `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at <= @now AND state IN ('done', 'dead') LIMIT @limit)`,
  )
  const countByState = db.prepare<[], { state: string; n: number }>(
    `SELECT state, COUNT(*) AS n FROM ${table} GROUP BY state`,
  )
  const listDead = db.prepare<[number], JobRow & { last_error: string | null; updated_at: number }>(
    `SELECT id, key, event_id, provider, type, timestamp, received_at, payload, headers, attempt, last_error, updated_at
     FROM ${table} WHERE state = 'dead' ORDER BY updated_at DESC, id DESC LIMIT ?`,
  )
  const revive = db.prepare<[{ key: string; now: number }]>(
    `UPDATE ${table} SET state = 'pending', attempt = 0, run_at = @now, last_error = NULL, expires_at = NULL, updated_at = @now
     WHERE key = @key AND state = 'dead'`,
  )

  const worker = `${process.pid}-${randomToken(6)}`
  const counters = { commits: 0, enqueued: 0 }
  let batch: Pending[] = []
  let flushScheduled = false
  let handler: WebhookHandler | undefined
  let closed = false
  let closing: Promise<void> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let timerDue = Infinity
  let heartbeat: ReturnType<typeof setInterval> | undefined
  const running = new Set<Promise<void>>()
  let nextPurgeAt = 0

  function purge(): number {
    const now = Date.now()
    const deleted = purgeStatement.run({ now, limit: purgeBatchSize }).changes
    // A full batch means more is waiting: purge again on the next pass.
    nextPurgeAt = deleted === purgeBatchSize ? now : now + purgeIntervalMs
    return deleted
  }

  function maybePurge(): void {
    if (Date.now() < nextPurgeAt) return
    try {
      purge()
    } catch (error) {
      nextPurgeAt = Date.now() + purgeIntervalMs
      onError(error)
    }
  }

  // Group commit: every enqueue of one event-loop turn shares a transaction,
  // and all of them resolve only after its COMMIT returned.
  function flush(): void {
    flushScheduled = false
    const pending = batch
    batch = []
    if (pending.length === 0) return
    try {
      insertBatch.immediate(pending.map((p) => p.row))
    } catch (error) {
      for (const p of pending) p.reject(error)
      return
    }
    counters.commits++
    counters.enqueued += pending.length
    for (const p of pending) p.resolve()
    maybePurge()
    if (handler) schedule(0)
  }

  function schedule(delayMs: number): void {
    if (closed || !handler) return
    const due = Date.now() + delayMs
    if (timer !== undefined && timerDue <= due) return
    if (timer !== undefined) clearTimeout(timer)
    timerDue = due
    timer = setTimeout(tick, delayMs)
  }

  function startHeartbeat(): void {
    if (heartbeat !== undefined) return
    heartbeat = setInterval(
      () => {
        try {
          const now = Date.now()
          renew.run({ worker, now, until: now + visibilityTimeoutMs })
        } catch (error) {
          onError(error)
        }
      },
      Math.max(10, Math.floor(visibilityTimeoutMs / 3)),
    )
  }

  function stopHeartbeat(): void {
    if (running.size > 0 || heartbeat === undefined) return
    clearInterval(heartbeat)
    heartbeat = undefined
  }

  function tick(): void {
    timer = undefined
    timerDue = Infinity
    if (closed || !handler) return
    if (!db.open) {
      // Someone closed a shared connection under the worker: nothing left to poll.
      onError(new Error('sqliteQueue: the database connection was closed; the worker stopped'))
      return
    }
    let delay = pollIntervalMs
    try {
      maybePurge()
      const room = concurrency - running.size
      if (room > 0) {
        const now = Date.now()
        const rows = claim.all({ worker, now, until: now + visibilityTimeoutMs, limit: room })
        for (const row of rows) start(row)
        if (rows.length === room) return // full: a finishing job schedules the next pass
        const due = nextDue.get()
        if (due !== null && due !== undefined) delay = Math.min(pollIntervalMs, Math.max(0, due - Date.now()))
      } else {
        return
      }
    } catch (error) {
      onError(error)
    }
    schedule(delay)
  }

  function start(row: JobRow): void {
    const job = run(row).finally(() => {
      running.delete(job)
      stopHeartbeat()
      schedule(0)
    })
    running.add(job)
    startHeartbeat()
  }

  async function run(row: JobRow): Promise<void> {
    const cas = { id: row.id, worker, attempt: row.attempt }
    let event: WebhookEvent
    try {
      event = toEvent(row)
    } catch (error) {
      // A row that cannot be read back will never run: give it up at once.
      settle(() =>
        markDead.run({ ...cas, now: Date.now(), expiresAt: Date.now() + deadRetentionMs, error: errorText(error) }),
      )
      return
    }
    if (row.attempt > retry.attempts) {
      // Its last attempt was claimed by a worker that died mid-run (the claim
      // ran out): it counts as failed rather than running beyond the limit.
      const error = new Error(`worker stopped during the last attempt (claim expired after ${visibilityTimeoutMs} ms)`)
      const lastEvent = { ...event, attempt: retry.attempts }
      if (
        settle(() =>
          markLost.run({ ...cas, now: Date.now(), expiresAt: Date.now() + deadRetentionMs, error: errorText(error) }),
        )
      ) {
        callHook(options.onDeadLetter, lastEvent, error)
      }
      return
    }
    try {
      await handler!(event)
    } catch (error) {
      const now = Date.now()
      if (row.attempt < retry.attempts) {
        const delayMs = retry.delay(row.attempt)
        if (settle(() => markRetry.run({ ...cas, now, runAt: now + delayMs, error: errorText(error) })))
          callHook(options.onRetry, event, error, delayMs)
      } else if (
        settle(() => markDead.run({ ...cas, now, expiresAt: now + deadRetentionMs, error: errorText(error) }))
      ) {
        callHook(options.onDeadLetter, event, error)
      }
      return
    }
    const now = Date.now()
    if (settle(() => markDone.run({ ...cas, now, expiresAt: now + retentionMs }))) callHook(options.onSuccess, event)
  }

  /** Runs one compare-and-set; false when the claim was lost or the write failed (the claim then runs out and the job runs again). */
  function settle(write: () => { changes: number }): boolean {
    try {
      return write().changes === 1
    } catch (error) {
      onError(error)
      return false
    }
  }

  function serialize(event: QueuedEvent): InsertRow {
    if (!event || typeof event !== 'object')
      throw new TypeError('hookguard: sqliteQueue: enqueue needs an event object')
    if (typeof event.key !== 'string' || event.key === '')
      throw new TypeError('hookguard: sqliteQueue: event.key must be a non-empty string')
    if (typeof event.id !== 'string' || typeof event.provider !== 'string')
      throw new TypeError('hookguard: sqliteQueue: event.id and event.provider must be strings')
    if (!Number.isFinite(event.receivedAt))
      throw new TypeError('hookguard: sqliteQueue: event.receivedAt must be a number (ms)')
    if (event.timestamp !== undefined && !Number.isFinite(event.timestamp))
      throw new TypeError('hookguard: sqliteQueue: event.timestamp must be a number (s)')
    if (event.type !== undefined && typeof event.type !== 'string')
      throw new TypeError('hookguard: sqliteQueue: event.type must be a string')
    return {
      key: event.key,
      eventId: event.id,
      provider: event.provider,
      type: event.type ?? null,
      timestamp: event.timestamp ?? null,
      receivedAt: event.receivedAt,
      payload: JSON.stringify(event.payload ?? null),
      headers: JSON.stringify(event.headers ?? {}),
      now: Date.now(),
    }
  }

  return {
    enqueue(event) {
      if (closed) return Promise.reject(new Error('sqliteQueue is closed'))
      let row: InsertRow
      try {
        row = serialize(event)
      } catch (error) {
        return Promise.reject(error)
      }
      return new Promise<void>((resolve, reject) => {
        batch.push({ row, resolve, reject })
        if (!flushScheduled) {
          flushScheduled = true
          setImmediate(flush)
        }
      })
    },
    process(fn) {
      if (typeof fn !== 'function') throw configError(`${where}: handler must be a function`)
      if (handler) throw configError(`${where}: a handler is already running on this queue`)
      if (closed) throw configError(`${where}: the queue is closed`)
      handler = fn
      schedule(0)
    },
    close() {
      closing ??= (async () => {
        // Events already handed to enqueue are committed, not dropped.
        flush()
        closed = true
        if (timer !== undefined) clearTimeout(timer)
        timer = undefined
        while (running.size > 0) await Promise.allSettled([...running])
        stopHeartbeat()
        if (owned && db.open) db.close()
      })()
      return closing
    },
    stats() {
      const stats: SqliteQueueStats = { pending: 0, running: 0, done: 0, dead: 0, ...counters }
      for (const { state, n } of countByState.all()) stats[state as 'pending' | 'running' | 'done' | 'dead'] = n
      return stats
    },
    deadLetters(limit = 100) {
      if (!Number.isInteger(limit) || limit < 1)
        throw configError(`${where}: deadLetters limit must be a positive integer`)
      return listDead
        .all(limit)
        .map((row) => ({ event: toEvent(row), error: row.last_error ?? '', failedAt: row.updated_at }))
    },
    retryDead(key) {
      const revived = revive.run({ key, now: Date.now() }).changes === 1
      if (revived) schedule(0)
      return revived
    },
    purge,
  }
}
