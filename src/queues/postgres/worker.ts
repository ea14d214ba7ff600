/**
 * Internal: the worker. It claims due jobs with pg-boss's SKIP LOCKED fetch,
 * renews the claims of running handlers (a heartbeat on `started_on`, which
 * pg-boss's expiry reads), settles each outcome with a compare-and-set, and
 * takes its turn at pg-boss's maintenance, which sends jobs of dead workers
 * back to be retried and archives finished ones past their retention.
 *
 * @module
 */
import { configError } from '../../errors.js'
import { errorText } from '../../internal/log.js'
import type { WebhookEvent, WebhookHandler, WorkerHooks } from '../../types/index.js'
import { checkHooks, combineHooks } from '../internal/hooks.js'
import { decodeJobData, errorOutput } from './event.js'
import { WHERE } from './options.js'
import { boss, query, ready, track, type QueueState, type RunningJob } from './state.js'

interface JobRow {
  id: string
  key: string
  data: unknown
  retry_count: number
}

/** Runs the next pass in `delayMs`, unless one is already due sooner. */
export function schedule(s: QueueState, delayMs: number): void {
  if (s.closed || !s.handler) return
  const due = Date.now() + delayMs
  if (s.timer !== undefined && s.timerDue <= due) return
  if (s.timer !== undefined) clearTimeout(s.timer)
  s.timerDue = due
  s.timer = setTimeout(() => void track(s, tick(s)), delayMs)
}

function maybeMaintain(s: QueueState): void {
  if (s.maintaining || Date.now() < s.nextMaintenanceAt) return
  s.nextMaintenanceAt = Date.now() + s.maintenanceIntervalMs
  s.maintaining = (async () => {
    const turn = await query(s, s.sql.maintenanceTurn, [s.maintenanceIntervalMs / 1000])
    if (turn.rowCount) await (await boss(s)).maintain()
  })()
    .catch(s.onError)
    .finally(() => (s.maintaining = undefined))
}

async function tick(s: QueueState): Promise<void> {
  s.timer = undefined
  s.timerDue = Infinity
  if (s.closed || !s.handler) return
  if (s.ticking) {
    s.again = true
    return
  }
  s.ticking = true
  let delay: number | undefined = s.pollIntervalMs
  try {
    await ready(s)
    maybeMaintain(s)
    const room = s.concurrency - s.running.size
    if (room <= 0)
      delay = undefined // full: a finishing job schedules the next pass
    else {
      const expiry = [s.visibilityTimeoutMs, s.retry.attempts - 1, Math.round(s.retry.backoffMs / 1000)]
      const { rows } = await query(s, s.sql.fetch, [s.name, room, ...expiry])
      // Claimed rows run even when close() began meanwhile: close() waits for them.
      for (const row of rows as JobRow[]) start(s, row)
      if (rows.length === room) delay = undefined
    }
  } catch (error) {
    s.onError(error)
  } finally {
    s.ticking = false
  }
  if (s.again) {
    s.again = false
    delay = 0
  }
  if (delay !== undefined) schedule(s, delay)
}

function startHeartbeat(s: QueueState): void {
  if (s.heartbeat !== undefined) return
  s.heartbeat = setInterval(
    () => {
      const jobs = [...s.running.values()]
      if (jobs.length === 0) return
      const values = [s.name, jobs.map((j) => j.id), jobs.map((j) => j.retryCount)]
      query(s, s.sql.heartbeat, values).catch(s.onError)
    },
    Math.floor(s.visibilityTimeoutMs / 3),
  )
}

export function stopHeartbeat(s: QueueState): void {
  if (s.running.size > 0 || s.heartbeat === undefined) return
  clearInterval(s.heartbeat)
  s.heartbeat = undefined
}

function start(s: QueueState, row: JobRow): void {
  const job: RunningJob = { id: row.id, retryCount: row.retry_count }
  const running: Promise<void> = run(s, row, job).finally(() => {
    s.running.delete(running)
    stopHeartbeat(s)
    schedule(s, 0)
  })
  s.running.set(running, job)
  startHeartbeat(s)
}

/** One compare-and-set; false when the claim was lost or the write failed (the claim then expires and the job runs again). */
async function settle(s: QueueState, text: string, job: RunningJob, extra: unknown[]): Promise<boolean> {
  try {
    return (await query(s, text, [s.name, job.id, job.retryCount, ...extra])).rowCount === 1
  } catch (error) {
    s.onError(error)
    return false
  }
}

async function run(s: QueueState, row: JobRow, job: RunningJob): Promise<void> {
  let event: WebhookEvent
  try {
    event = decodeJobData(row.data, row.retry_count + 1)
  } catch (error) {
    // A job that cannot be read back will never run: give it up at once.
    await settle(s, s.sql.dead, job, [errorOutput(errorText(error))])
    return
  }
  try {
    await s.handler!(event)
  } catch (error) {
    await failed(s, job, event, error)
    return
  }
  if (await settle(s, s.sql.done, job, [])) s.hooks.success(event)
}

async function failed(s: QueueState, job: RunningJob, event: WebhookEvent, error: unknown): Promise<void> {
  const output = errorOutput(errorText(error))
  if (event.attempt < s.retry.attempts) {
    const delayMs = s.retry.delay(event.attempt)
    if (!(await settle(s, s.sql.retry, job, [delayMs, output]))) return
    s.hooks.retry(event, error, delayMs)
    schedule(s, delayMs)
    return
  }
  if (await settle(s, s.sql.dead, job, [output])) s.hooks.dead(event, error)
}

/** `process(handler, hooks)`: starts polling in this process; resolves once pg-boss is loaded. */
export function startWorker(s: QueueState, handler: WebhookHandler, hooks: WorkerHooks | undefined): Promise<void> {
  if (!s.runsWorker) {
    throw configError(
      `${WHERE}({ worker: false }) runs no handlers in this process; run createWorker({ queue: postgresQueue({ pool }), handler }) in your worker process instead`,
    )
  }
  if (typeof handler !== 'function') throw configError(`${WHERE}: handler must be a function`)
  if (s.handler) throw configError(`${WHERE}: a handler is already running on this queue`)
  if (s.closed) throw configError(`${WHERE}: process() called after close()`)
  s.hooks = combineHooks(WHERE, s.logger, s.ownHooks, checkHooks(WHERE, hooks))
  s.handler = handler
  schedule(s, 0)
  return boss(s).then(() => undefined)
}
