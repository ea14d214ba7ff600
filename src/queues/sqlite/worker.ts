/**
 * Internal: the worker. It claims due rows with a visibility timeout, renews
 * the claims of running handlers, and settles each outcome with a
 * compare-and-set, so a job whose worker died runs again — here or in
 * another process — and a worker whose claim was taken over changes nothing.
 *
 * It works in passes: one transaction commits the outcomes of every handler
 * that finished since the last pass and claims the next due jobs. A pass
 * runs right after an enqueue of this process committed or a handler
 * finished, and otherwise on the poll timer (jobs of other processes, due
 * retries).
 *
 * @module
 */
import type { Statement, Transaction } from 'better-sqlite3'
import { configError } from '../../errors.js'
import { errorText } from '../../internal/log.js'
import type { SqliteDatabase } from '../../internal/sqlite.js'
import type { WebhookEvent, WebhookHandler, WorkerHooks } from '../../types/index.js'
import { checkHooks, combineHooks } from '../internal/hooks.js'
import { WHERE } from './options.js'
import { maybePurge } from './purge.js'
import { JOB_COLUMNS, toEvent, type JobRow } from './rows.js'
import type { QueueState } from './state.js'

type Claim = { id: number; worker: string; attempt: number; now: number }
type ClaimParams = { worker: string; now: number; until: number; limit: number }

/** A finished job's compare-and-set, waiting for the next pass to commit it. */
export interface Outcome {
  key: string
  write(): { changes: number }
  /** After the pass: whether the write changed the row (this worker still owned the job). */
  settled(applied: boolean): void
}

export interface WorkerStatements {
  /** One pass: the outcomes, then a claim of up to `limit` due jobs (none without `claim`), in one transaction. */
  pass: Transaction<(outcomes: Outcome[], claim: ClaimParams | undefined) => { applied: boolean[]; rows: JobRow[] }>
  due: Statement<[{ now: number; limit: number }], number>
  claim: Statement<[ClaimParams & { id: number }], JobRow>
  renew: Statement<[{ worker: string; now: number; until: number }]>
  markDone: Statement<[Claim & { expiresAt: number }]>
  markRetry: Statement<[Claim & { runAt: number; error: string }]>
  markDead: Statement<[Claim & { expiresAt: number; error: string }]>
  markLost: Statement<[Claim & { expiresAt: number; error: string }]>
  nextDue: Statement<[], number | null>
}

export function prepareWorker(db: SqliteDatabase, table: string): WorkerStatements {
  // Every outcome is a compare-and-set on (claimed_by, attempt).
  const owned = `WHERE id = @id AND state = 'running' AND claimed_by = @worker AND attempt = @attempt`
  const statements: Omit<WorkerStatements, 'pass'> = {
    // Due jobs and jobs whose worker stopped renewing its claim. The pass
    // runs under the write lock (BEGIN IMMEDIATE), so two workers can never
    // claim the same row; updating the chosen rows one by one is cheaper in
    // SQLite than one UPDATE … WHERE id IN (subquery).
    due: db
      .prepare<[{ now: number; limit: number }], number>(
        `SELECT id FROM ${table} WHERE state = 'pending' AND run_at <= @now
         UNION ALL
         SELECT id FROM ${table} WHERE state = 'running' AND claimed_until <= @now
         LIMIT @limit`,
      )
      .pluck(),
    claim: db.prepare(
      `UPDATE ${table} SET state = 'running', claimed_by = @worker, claimed_until = @until, attempt = attempt + 1, updated_at = @now
       WHERE id = @id
       RETURNING ${JOB_COLUMNS}`,
    ),
    renew: db.prepare(
      `UPDATE ${table} SET claimed_until = @until, updated_at = @now WHERE state = 'running' AND claimed_by = @worker`,
    ),
    // A done row only has to block its key, so its payload, headers and meta are dropped.
    markDone: db.prepare(
      `UPDATE ${table} SET state = 'done', payload = 'null', headers = '{}', meta = NULL, claimed_by = NULL,
         claimed_until = NULL, last_error = NULL, updated_at = @now, expires_at = @expiresAt ${owned}`,
    ),
    markRetry: db.prepare(
      `UPDATE ${table} SET state = 'pending', claimed_by = NULL, claimed_until = NULL, run_at = @runAt, last_error = @error,
         updated_at = @now ${owned}`,
    ),
    markDead: db.prepare(
      `UPDATE ${table} SET state = 'dead', claimed_by = NULL, claimed_until = NULL, last_error = @error, updated_at = @now,
         expires_at = @expiresAt ${owned}`,
    ),
    // A claim that ran out during the last attempt: that attempt counts as failed.
    markLost: db.prepare(
      `UPDATE ${table} SET state = 'dead', attempt = attempt - 1, claimed_by = NULL, claimed_until = NULL,
         last_error = @error, updated_at = @now, expires_at = @expiresAt ${owned}`,
    ),
    nextDue: db.prepare<[], number | null>(`SELECT MIN(run_at) FROM ${table} WHERE state = 'pending'`).pluck(),
  }
  const claim = (params: ClaimParams): JobRow[] =>
    statements.due.all(params).map((id) => statements.claim.get(Object.assign({}, params, { id }))!)
  const pass = db.transaction((outcomes: Outcome[], params: ClaimParams | undefined) => ({
    applied: outcomes.map((outcome) => outcome.write().changes === 1),
    rows: params ? claim(params) : [],
  }))
  return Object.assign({}, statements, { pass })
}

/**
 * Runs a pass soon: at once (after this turn's I/O) for `delayMs` ≤ 0, else
 * on a timer, unless a pass is already due sooner.
 */
export function schedule(s: QueueState, delayMs: number): void {
  if (s.closed || !s.handler) return
  if (delayMs <= 0) return wake(s)
  const due = Date.now() + delayMs
  if (s.timer !== undefined && s.timerDue <= due) return
  if (s.timer !== undefined) clearTimeout(s.timer)
  s.timerDue = due
  s.timer = setTimeout(() => {
    s.timer = undefined
    s.timerDue = Infinity
    wake(s)
  }, delayMs)
}

/**
 * A pass after this turn: jobs are known to be waiting (an enqueue in this
 * process committed, a handler finished) or outcomes wait for their commit.
 */
export function wake(s: QueueState): void {
  if (s.passScheduled) return
  s.passScheduled = true
  setImmediate(() => {
    s.passScheduled = false
    s.burst = 1
    pass(s)
  })
}

/**
 * Passes run back to back, without waiting for the next turn, while every
 * running handler has finished at once (as the memory queue's pump does), at
 * most this many between two turns, so I/O is never starved.
 */
const BURST = 8

/**
 * One pass: commit the outcomes of the handlers that finished since the last
 * one, and claim as many due jobs as there is room for, in one transaction.
 */
function pass(s: QueueState): void {
  const outcomes = s.outcomes
  s.outcomes = []
  if (outcomes.length === 0 && (s.closed || !s.handler)) return
  if (!s.db.open) return stopped(s, outcomes)
  const room = s.closed || !s.handler ? 0 : s.concurrency - s.handling
  const now = s.now()
  if (outcomes.length > 0) s.testHooks?.beforePass?.(outcomes.map((outcome) => outcome.key))
  let applied: boolean[] = outcomes.map(() => false)
  let rows: JobRow[] = []
  try {
    maybePurge(s)
    const claim = room > 0 ? { worker: s.workerId, now, until: now + s.visibilityTimeoutMs, limit: room } : undefined
    // Outcomes and claims commit without an fsync of their own. A power cut
    // can roll back the last of them: a lost claim or a lost outcome leaves
    // its job to run again once its claim runs out, which at-least-once
    // delivery allows (handlers are idempotent; the event says its attempt).
    // The next enqueue's WAL sync makes everything before it durable.
    ;({ applied, rows } = s.relaxed(() => s.statements.worker.pass.immediate(outcomes, claim)))
  } catch (error) {
    // Nothing of this pass was written: the claims of these jobs run out and they run again.
    s.onError(error)
  }
  outcomes.forEach((outcome, i) => outcome.settled(applied[i]!))
  for (const row of rows) start(s, row)
  if (room > 0 && rows.length < room) schedule(s, nextPoll(s))
}

/** How long until the next due retry, capped at the poll interval (jobs may come from other processes). */
function nextPoll(s: QueueState): number {
  try {
    const due = s.statements.worker.nextDue.get()
    if (due === null || due === undefined) return s.pollIntervalMs
    return Math.min(s.pollIntervalMs, Math.max(1, due - s.now()))
  } catch (error) {
    s.onError(error)
    return s.pollIntervalMs
  }
}

/** Someone closed a shared connection under the worker: settle what is left (unwritten) and stop polling. */
function stopped(s: QueueState, outcomes: Outcome[]): void {
  for (const outcome of outcomes) outcome.settled(false)
  if (s.closed || s.stopped) return
  s.stopped = true
  s.onError(new Error(`${WHERE}: the database connection was closed; the worker stopped`))
}

function startHeartbeat(s: QueueState): void {
  if (s.heartbeat !== undefined) return
  const renew = (): void => {
    try {
      const now = s.now()
      const until = now + s.visibilityTimeoutMs
      // A lost renewal costs nothing after a power cut: the process holding the claim is gone too.
      s.relaxed(() => s.statements.worker.renew.run({ worker: s.workerId, now, until }))
    } catch (error) {
      s.onError(error)
    }
  }
  s.heartbeat = setInterval(renew, Math.max(10, Math.floor(s.visibilityTimeoutMs / 3)))
}

export function stopHeartbeat(s: QueueState): void {
  if (s.running.size > 0 || s.heartbeat === undefined) return
  clearInterval(s.heartbeat)
  s.heartbeat = undefined
}

/** One claimed job: `handled` once its handler is over and its outcome waits for a pass. */
interface Job {
  row: JobRow
  handled: boolean
}

function start(s: QueueState, row: JobRow): void {
  const job: Job = { row, handled: false }
  s.handling++
  const running = run(s, job)
    .catch((error: unknown) => s.onError(error))
    .finally(() => {
      if (!job.handled) handled(s, job) // it ended without an outcome: its claim runs out and it runs again
      s.running.delete(running)
      stopHeartbeat(s)
    })
  s.running.add(running)
  startHeartbeat(s)
}

function handled(s: QueueState, job: Job): void {
  job.handled = true
  s.handling--
}

/**
 * Hands one compare-and-set to the next pass; resolves after its commit with
 * whether it changed the row (false: the claim was lost or the write failed,
 * so the claim runs out and the job runs again).
 */
function settle(s: QueueState, job: Job, write: () => { changes: number }): Promise<boolean> {
  return new Promise((settled) => {
    s.outcomes.push({ key: job.row.key, write, settled })
    handled(s, job)
    if (s.handling > 0 || s.burst === 0 || s.burst >= BURST) return wake(s)
    s.burst++
    queueMicrotask(() => pass(s))
  })
}

async function run(s: QueueState, job: Job): Promise<void> {
  const row = job.row
  const claim = { id: row.id, worker: s.workerId, attempt: row.attempt }
  const dead = (error: unknown) =>
    Object.assign({}, claim, { now: s.now(), expiresAt: s.now() + s.deadRetentionMs, error: errorText(error) })
  let event: WebhookEvent
  try {
    event = toEvent(row)
  } catch (error) {
    // A row that cannot be read back will never run: give it up at once.
    await settle(s, job, () => s.statements.worker.markDead.run(dead(error)))
    return
  }
  if (row.attempt > s.retry.attempts) {
    // Its last attempt was claimed by a worker that died mid-run (the claim
    // ran out): it counts as failed rather than running beyond the limit.
    const error = new Error(`worker stopped during the last attempt (claim expired after ${s.visibilityTimeoutMs} ms)`)
    if (await settle(s, job, () => s.statements.worker.markLost.run(dead(error))))
      s.hooks.dead(Object.assign({}, event, { attempt: s.retry.attempts }), error)
    return
  }
  try {
    await s.handler!(event)
  } catch (error) {
    return failed(s, job, event, error)
  }
  const now = s.now()
  const done = Object.assign({}, claim, { now, expiresAt: now + s.retentionMs })
  if (await settle(s, job, () => s.statements.worker.markDone.run(done))) s.hooks.success(event)
}

async function failed(s: QueueState, job: Job, event: WebhookEvent, error: unknown): Promise<void> {
  const claim = { id: job.row.id, worker: s.workerId, attempt: job.row.attempt }
  const now = s.now()
  if (event.attempt < s.retry.attempts) {
    const delayMs = s.retry.delay(event.attempt)
    const retry = Object.assign({}, claim, { now, runAt: now + delayMs, error: errorText(error) })
    if (await settle(s, job, () => s.statements.worker.markRetry.run(retry))) s.hooks.retry(event, error, delayMs)
    return
  }
  const dead = Object.assign({}, claim, { now, expiresAt: now + s.deadRetentionMs, error: errorText(error) })
  if (await settle(s, job, () => s.statements.worker.markDead.run(dead))) s.hooks.dead(event, error)
}

/** `process(handler, hooks)`: starts polling in this process. */
export function startWorker(s: QueueState, handler: WebhookHandler, hooks: WorkerHooks | undefined): void {
  if (typeof handler !== 'function') throw configError(`${WHERE}: handler must be a function`)
  if (s.handler) throw configError(`${WHERE}: a handler is already running on this queue`)
  if (s.closed) throw configError(`${WHERE}: process() called after close()`)
  s.hooks = combineHooks(WHERE, s.logger, s.ownHooks, checkHooks(WHERE, hooks))
  s.handler = handler
  schedule(s, 0)
}
