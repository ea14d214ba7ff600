/**
 * In-process queue and worker. Zero services; events that have not run yet are
 * lost if the process dies — use `hookguard/sqlite` or `hookguard/bullmq`
 * when a 2xx must survive a crash.
 *
 * @module
 */
import { afterIo } from '../internal/after-io.js'
import { ExpiringLru } from '../internal/expiring-lru.js'
import { DIRECT, IN_PROCESS, type DirectQueue } from '../internal/in-process.js'
import { configError } from '../errors.js'
import { DEFAULT_RETENTION_MS } from '../internal/defaults.js'
import type {
  DeadLetter,
  QueuedEvent,
  QueueStats,
  WebhookEvent,
  WebhookHandler,
  WebhookQueue,
  WorkerHooks,
} from '../types/index.js'
import { checkQueuedEvent, deadLetter, queuedEvent } from './internal/event.js'
import { JobTable } from './internal/job-table.js'
import { checkHooks, combineHooks, type HookSet } from './internal/hooks.js'
import {
  closedError,
  deadLetterLimit,
  integerOption,
  resolveReporting,
  type QueueReportingOptions,
  type Reporting,
} from './internal/options.js'
import { resolveRetry, type RetryOptions, type RetryPolicy } from './retry.js'

export type { DeadLetter, QueueStats, WorkerHooks } from '../types/index.js'

export interface MemoryQueueOptions extends RetryOptions, WorkerHooks, QueueReportingOptions {
  /**
   * Handlers running at once.
   * @default 4
   */
  concurrency?: number
  /**
   * Keys of finished events remembered so that enqueueing one again is a
   * no-op; past this many, the oldest is forgotten first.
   * @default 10_000
   */
  rememberKeys?: number
  /**
   * How long a finished event's key is remembered, ms.
   * @default 4 days (as the receiver's `retentionMs`)
   */
  retentionMs?: number
  /**
   * Events held at once (waiting, waiting for a retry, or running). Past it
   * `enqueue` rejects, so the receiver answers 503 and the sender retries
   * later instead of the process growing without bound — for example when no
   * worker was started.
   * @default 10_000
   */
  maxPending?: number
  /**
   * Dead letters kept for `deadLetters()` / `retryDead()`. Past it the oldest
   * is dropped (its key is then forgotten, so a re-delivery runs as new), and
   * one warning is logged.
   * @default 1000
   */
  maxDeadLetters?: number
  /**
   * How long events may wait with no worker (`process()` not called) before
   * one warning is logged, ms.
   * @default 5000
   */
  noWorkerWarningMs?: number
}

export interface MemoryQueue extends WebhookQueue {
  /** Start the worker; `hooks` fire in addition to those given to `memoryQueue()`. */
  process(handler: WebhookHandler, hooks?: WorkerHooks): void
  /** Stop intake, run waiting retries at once, and resolve when all work is done. */
  close(): Promise<void>
  stats(): Promise<QueueStats>
  /** Dead letters, most recent first (at most `maxDeadLetters` are kept). Default limit 100. */
  deadLetters(options?: { limit?: number }): Promise<DeadLetter[]>
  retryDead(key: string): Promise<boolean>
  /** Puts dead letters back, oldest first, as far as `maxPending` allows. Returns how many. */
  retryAllDead(): Promise<number>
  discardDead(key: string): Promise<boolean>
  /** Resolves when nothing is pending, running or waiting for a retry. */
  idle(): Promise<void>
}

interface Job {
  event: QueuedEvent
  attempt: number
  /** Where `jobs` keeps it: the job leaves by its slot, without hashing its key again. */
  slot: number
  timer?: ReturnType<typeof setTimeout>
  /** Queued, but not to start until the receiver has made its answer (see DirectQueue.enqueueHeld). */
  held?: boolean
}

interface Settings {
  retry: RetryPolicy
  concurrency: number
  rememberKeys: number
  retentionMs: number
  maxPending: number
  maxDeadLetters: number
  noWorkerWarningMs: number
}

interface State extends Settings, Reporting {
  ownHooks: WorkerHooks
  hooks: HookSet
  handler?: WebhookHandler
  /** Every live job by key: waiting, waiting for a retry, or running. */
  jobs: JobTable<Job>
  ready: Job[]
  running: number
  /**
   * Finished keys → when they are forgotten, bounded by `rememberKeys` (least
   * recently finished out first). Not a Map used as a FIFO: deleting from a
   * Map's front leaves holes that every later `keys().next()` walks over.
   */
  done: ExpiringLru
  /** Dead letters by key, oldest first. */
  dead: Map<string, DeadLetter>
  idleWaiters: Array<() => void>
  closed: boolean
  /** A pump is due after this turn (see {@link pumpSoon}). */
  pumpDue: boolean
  /** pump() is on the stack (see there). */
  pumping: boolean
  noWorkerTimer?: ReturnType<typeof setTimeout>
  warned: { noWorker: boolean; deadDropped: boolean }
}

const WHERE = 'memoryQueue'

function resolveSettings(options: MemoryQueueOptions): Settings {
  return {
    retry: resolveRetry(WHERE, options),
    concurrency: integerOption(WHERE, 'concurrency', options.concurrency, 4),
    rememberKeys: integerOption(WHERE, 'rememberKeys', options.rememberKeys, 10_000),
    retentionMs: integerOption(WHERE, 'retentionMs', options.retentionMs, DEFAULT_RETENTION_MS),
    maxPending: integerOption(WHERE, 'maxPending', options.maxPending, 10_000),
    maxDeadLetters: integerOption(WHERE, 'maxDeadLetters', options.maxDeadLetters, 1000),
    noWorkerWarningMs: integerOption(WHERE, 'noWorkerWarningMs', options.noWorkerWarningMs, 5000, 0),
  }
}

function isDone(s: State, key: string): boolean {
  const slot = s.done.find(key)
  if (slot < 0) return false
  if (s.done.expiresAt(slot) > s.now()) return true
  s.done.remove(slot)
  return false
}

/**
 * Remembers a key whose job just finished. A key is never live and done at
 * once (enqueue refuses a done key, and only a finished job is remembered),
 * so it is inserted without looking it up first.
 */
function rememberDone(s: State, key: string): void {
  const now = s.now()
  s.done.removeExpired(now)
  s.done.insert(key, now + s.retentionMs)
}

function keepDeadLetter(s: State, letter: DeadLetter): void {
  s.dead.delete(letter.key)
  s.dead.set(letter.key, letter)
  if (s.dead.size <= s.maxDeadLetters) return
  s.dead.delete(s.dead.keys().next().value!)
  if (s.warned.deadDropped) return
  s.warned.deadDropped = true
  s.logger.warn(
    { queue: WHERE, maxDeadLetters: s.maxDeadLetters },
    'dead letters beyond maxDeadLetters are dropped, oldest first; inspect them with onDeadLetter or use a durable queue',
  )
}

function checkRoom(s: State): void {
  if (s.jobs.size < s.maxPending) return
  const why = s.handler ? 'the worker is behind' : 'no worker is running: call process(handler)'
  throw new Error(`${WHERE}: ${s.maxPending} events are waiting (maxPending); ${why}`)
}

/** A job for a key `enqueue` found neither queued nor done. */
function addJob(s: State, event: QueuedEvent, held = false): Job {
  const job: Job = { event, attempt: 0, slot: -1 }
  job.slot = s.jobs.add(event.key, job)
  if (held) job.held = true
  else makeReady(s, job)
  return job
}

function makeReady(s: State, job: Job): void {
  job.held = undefined
  s.ready.push(job)
  if (s.handler) pumpSoon(s)
  else watchForWorker(s)
}

/**
 * New events start after this turn's I/O, one pump for all of them: the
 * request that queued an event has its 2xx written first, so the handler's
 * synchronous work never delays the answer (and a burst of deliveries is
 * started together).
 */
function pumpSoon(s: State): void {
  if (s.pumpDue) return
  s.pumpDue = true
  afterIo(() => {
    s.pumpDue = false
    pump(s)
  })
}

/** Warns once when events wait for a worker that was never started. */
function watchForWorker(s: State): void {
  if (s.handler || s.warned.noWorker || s.noWorkerTimer !== undefined) return
  s.noWorkerTimer = setTimeout(() => {
    s.noWorkerTimer = undefined
    if (s.handler || s.closed || s.jobs.size === 0) return
    s.warned.noWorker = true
    s.logger.warn(
      { queue: WHERE, pending: s.jobs.size, maxPending: s.maxPending },
      'events are queued but no worker is running: pass handler to createReceiver or call queue.process(handler)',
    )
  }, s.noWorkerWarningMs)
  s.noWorkerTimer.unref?.()
}

function pump(s: State): void {
  // A synchronous handler settles inside run(), which pumps again: the outer loop takes the next job instead
  // of a recursion as deep as the ready list.
  if (s.pumping) return
  s.pumping = true
  try {
    while (s.handler && s.running < s.concurrency && s.ready.length > 0) {
      const job = s.ready.shift()!
      s.running++
      run(s, job)
    }
  } finally {
    s.pumping = false
  }
}

/**
 * One attempt. A handler that returns no promise (or throws) is settled
 * before run() returns; only a returned promise costs a reaction.
 */
function run(s: State, job: Job): void {
  job.attempt++
  const event: WebhookEvent = Object.assign({}, job.event, { attempt: job.attempt })
  let result: unknown
  try {
    result = s.handler!(event)
  } catch (error) {
    return settle(s, job, event, true, error)
  }
  if (!isThenable(result)) return settle(s, job, event, false, undefined)
  result.then(
    () => settle(s, job, event, false, undefined),
    (error: unknown) => settle(s, job, event, true, error),
  )
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  )
}

function settle(s: State, job: Job, event: WebhookEvent, failed: boolean, failure: unknown): void {
  s.running--
  try {
    if (failed) settleFailure(s, job, event, failure)
    else {
      s.jobs.deleteAt(job.slot, job)
      rememberDone(s, job.event.key)
      s.hooks.success(event)
    }
  } catch (error) {
    s.onError(error)
  } finally {
    pump(s)
    settleIdle(s)
  }
}

function settleFailure(s: State, job: Job, event: WebhookEvent, error: unknown): void {
  if (job.attempt < s.retry.attempts) {
    const delayMs = s.closed ? 0 : s.retry.delay(job.attempt)
    job.timer = setTimeout(() => {
      job.timer = undefined
      s.ready.push(job)
      pump(s)
    }, delayMs)
    s.hooks.retry(event, error, delayMs)
    return
  }
  s.jobs.deleteAt(job.slot, job)
  keepDeadLetter(s, deadLetter(event, error, s.now()))
  s.hooks.dead(event, error)
}

function settleIdle(s: State): void {
  if (s.jobs.size > 0 || s.idleWaiters.length === 0) return
  for (const resolve of s.idleWaiters.splice(0)) resolve()
}

/** The new job, or undefined when the key is already queued or done. */
function enqueue(s: State, input: QueuedEvent, held = false): Job | undefined {
  if (s.closed) throw closedError(WHERE)
  const event = checkQueuedEvent(WHERE, input)
  // Idempotent by key: a re-delivery after a crash window must not run twice.
  if (s.jobs.has(event.key) || isDone(s, event.key)) return undefined
  checkRoom(s)
  // A dead key comes back as a fresh job: that is how a re-send reaches the handler.
  if (s.dead.size > 0) s.dead.delete(event.key)
  return addJob(s, event, held)
}

const NOTHING_HELD = (): void => {}

/** Enqueues a job that waits for `start()` (called once the receiver has answered). */
function enqueueHeld(s: State, input: QueuedEvent): () => void {
  const job = enqueue(s, input, true)
  if (!job) return NOTHING_HELD
  return () => {
    if (job.held && s.jobs.get(job.event.key) === job) makeReady(s, job)
  }
}

function startWorker(s: State, handler: WebhookHandler, hooks: WorkerHooks | undefined): void {
  if (typeof handler !== 'function') throw configError(`${WHERE}: handler must be a function`)
  if (s.handler) throw configError(`${WHERE}: a handler is already running on this queue`)
  if (s.closed) throw configError(`${WHERE}: process() called after close()`)
  s.hooks = combineHooks(WHERE, s.logger, s.ownHooks, checkHooks(WHERE, hooks))
  s.handler = handler
  if (s.noWorkerTimer !== undefined) clearTimeout(s.noWorkerTimer)
  s.noWorkerTimer = undefined
  pump(s)
}

async function close(s: State): Promise<void> {
  s.closed = true
  if (s.noWorkerTimer !== undefined) clearTimeout(s.noWorkerTimer)
  // Drain: waiting retries run now instead of after their delay, and held jobs without waiting for their answer.
  for (const job of s.jobs.values()) {
    if (job.held) {
      job.held = undefined
      s.ready.push(job)
    }
    if (job.timer === undefined) continue
    clearTimeout(job.timer)
    job.timer = undefined
    s.ready.push(job)
  }
  pump(s)
  if (s.handler) await idle(s)
}

function idle(s: State): Promise<void> {
  if (s.jobs.size === 0) return Promise.resolve()
  return new Promise((resolve) => s.idleWaiters.push(resolve))
}

function revive(s: State, key: string): boolean {
  const letter = s.dead.get(key)
  if (!letter) return false
  checkRoom(s)
  s.dead.delete(key)
  // Dead and live keys never overlap (a job leaves `jobs` before its letter is kept; enqueue drops a letter
  // before adding its key), so the key is absent from `jobs`, as addJob expects.
  addJob(s, queuedEvent(letter.event))
  return true
}

function reviveAll(s: State): number {
  let revived = 0
  for (const key of [...s.dead.keys()]) {
    if (s.jobs.size >= s.maxPending) break
    if (revive(s, key)) revived++
  }
  return revived
}

function createState(options: MemoryQueueOptions): State {
  if (options === null || typeof options !== 'object') throw configError(`${WHERE}: options must be an object`)
  const reporting = resolveReporting(WHERE, options)
  const ownHooks = checkHooks(WHERE, options)
  const settings = resolveSettings(options)
  // Every property named in one literal: an object that gets more than 16 properties from Object.assign({}, …)
  // becomes a dictionary in V8, and every access on the worker's path a hash lookup (bench:instructions:
  // 2 200 instructions per event). A spread keeps the shape too, but the lint rule against properties after a
  // spread applies to this file.
  return {
    retry: settings.retry,
    concurrency: settings.concurrency,
    rememberKeys: settings.rememberKeys,
    retentionMs: settings.retentionMs,
    maxPending: settings.maxPending,
    maxDeadLetters: settings.maxDeadLetters,
    noWorkerWarningMs: settings.noWorkerWarningMs,
    logger: reporting.logger,
    onError: reporting.onError,
    now: reporting.now,
    ownHooks,
    hooks: combineHooks(WHERE, reporting.logger, ownHooks),
    jobs: new JobTable<Job>(),
    ready: [],
    running: 0,
    done: new ExpiringLru(settings.rememberKeys, () => {}),
    dead: new Map(),
    idleWaiters: [],
    closed: false,
    pumpDue: false,
    pumping: false,
    warned: { noWorker: false, deadDropped: false },
  }
}

/**
 * The embedded default queue: an in-process worker with retries, bounded in
 * memory (`maxPending`, `rememberKeys`, `maxDeadLetters`).
 *
 * @example
 * ```ts
 * import { createReceiver, memoryQueue, stripe } from 'hookguard'
 *
 * const queue = memoryQueue({ attempts: 3, onDeadLetter: (event, error) => console.error(event.key, error) })
 * const receiver = createReceiver({ provider: stripe({ secret }), queue, handler: async (event) => fulfil(event) })
 * ```
 */
export function memoryQueue(options: MemoryQueueOptions = {}): MemoryQueue {
  const s = createState(options)
  const open = (): void => {
    if (s.closed) throw closedError(WHERE)
  }
  const publicEnqueue = async (event: QueuedEvent): Promise<void> => void enqueue(s, event)
  const queue: MemoryQueue & { [IN_PROCESS]: true; [DIRECT]: DirectQueue } = {
    [IN_PROCESS]: true,
    [DIRECT]: {
      enqueue: (event) => void enqueue(s, event),
      enqueueHeld: (event) => enqueueHeld(s, event),
      stands: { enqueue: publicEnqueue },
    },
    enqueue: publicEnqueue,
    process: (handler, hooks) => startWorker(s, handler, hooks),
    close: () => close(s),
    idle: () => idle(s),
    async stats() {
      s.done.removeExpired(s.now())
      return { pending: s.jobs.size - s.running, running: s.running, done: s.done.size, dead: s.dead.size }
    },
    async deadLetters(options) {
      const limit = deadLetterLimit(WHERE, options)
      return [...s.dead.values()].reverse().slice(0, limit)
    },
    async retryDead(key) {
      open()
      return revive(s, key)
    },
    async retryAllDead() {
      open()
      return reviveAll(s)
    },
    async discardDead(key) {
      open()
      return s.dead.delete(key)
    },
  }
  return queue
}
