/**
 * In-process queue and worker. Zero services; events that have not run yet are
 * lost if the process dies — use `hookguard/sqlite` or `hookguard/bullmq`
 * when a 2xx must survive a crash.
 *
 * @module
 */
import { LRUCache } from 'lru-cache'
import { configError } from '../errors.js'
import type { QueuedEvent, WebhookEvent, WebhookHandler, WebhookQueue } from '../types/index.js'
import { resolveRetry, type RetryOptions } from './retry.js'

export interface WorkerHooks {
  /** The handler finished for this event. */
  onSuccess?: (event: WebhookEvent) => void
  /** The handler threw; it runs again after `delayMs`. */
  onRetry?: (event: WebhookEvent, error: unknown, delayMs: number) => void
  /** The handler threw on its last attempt; the event is given up. */
  onDeadLetter?: (event: WebhookEvent, error: unknown) => void
}

export interface MemoryQueueOptions extends RetryOptions, WorkerHooks {
  /** Handlers running at once. Default 4. */
  concurrency?: number
  /** Keys of finished events remembered to keep `enqueue` idempotent. Default 10 000. */
  rememberKeys?: number
}

export interface QueueStats {
  pending: number
  active: number
  retrying: number
  completed: number
  retried: number
  deadLettered: number
}

export interface MemoryQueue extends WebhookQueue {
  process(handler: WebhookHandler): void
  close(): Promise<void>
  stats(): QueueStats
  /** Events given up after the last attempt (most recent 1000). */
  deadLetters(): ReadonlyArray<{ event: WebhookEvent; error: unknown }>
  /** Resolves when nothing is pending, running or waiting for a retry. */
  idle(): Promise<void>
}

interface Job {
  event: QueuedEvent
  attempt: number
  timer?: ReturnType<typeof setTimeout>
}

function callHook<A extends unknown[]>(hook: ((...args: A) => void) | undefined, ...args: A): void {
  try {
    hook?.(...args)
  } catch {
    // A broken hook must not break the worker.
  }
}

/** The embedded default queue. */
export function memoryQueue(options: MemoryQueueOptions = {}): MemoryQueue {
  const retry = resolveRetry('memoryQueue', options)
  const concurrency = options.concurrency ?? 4
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw configError('memoryQueue: concurrency must be an integer >= 1')
  const remembered = new LRUCache<string, true>({ max: options.rememberKeys ?? 10_000 })
  const jobs = new Map<string, Job>()
  const ready: Job[] = []
  const dead: Array<{ event: WebhookEvent; error: unknown }> = []
  const idleWaiters: Array<() => void> = []
  const stats = { completed: 0, retried: 0, deadLettered: 0 }
  let handler: WebhookHandler | undefined
  let active = 0
  let closed = false

  function settleIdle(): void {
    if (jobs.size > 0) return
    for (const resolve of idleWaiters.splice(0)) resolve()
  }

  function finish(job: Job): void {
    jobs.delete(job.event.key)
    remembered.set(job.event.key, true)
  }

  async function run(job: Job): Promise<void> {
    job.attempt++
    const event: WebhookEvent = { ...job.event, attempt: job.attempt }
    try {
      await handler!(event)
      stats.completed++
      finish(job)
      callHook(options.onSuccess, event)
    } catch (error) {
      if (job.attempt < retry.attempts) {
        stats.retried++
        const delayMs = closed ? 0 : retry.delay(job.attempt)
        job.timer = setTimeout(() => {
          job.timer = undefined
          ready.push(job)
          pump()
        }, delayMs)
        callHook(options.onRetry, event, error, delayMs)
      } else {
        stats.deadLettered++
        finish(job)
        dead.push({ event, error })
        if (dead.length > 1000) dead.shift()
        callHook(options.onDeadLetter, event, error)
      }
    }
  }

  function pump(): void {
    while (handler && active < concurrency && ready.length > 0) {
      const job = ready.shift()!
      active++
      void run(job).finally(() => {
        active--
        pump()
        settleIdle()
      })
    }
  }

  return {
    async enqueue(event) {
      if (closed) throw new Error('memoryQueue is closed')
      // Idempotent by key: a re-delivery after a crash window must not run twice.
      if (jobs.has(event.key) || remembered.has(event.key)) return
      const job: Job = { event, attempt: 0 }
      jobs.set(event.key, job)
      ready.push(job)
      pump()
    },
    process(fn) {
      if (typeof fn !== 'function') throw configError('memoryQueue: handler must be a function')
      if (handler) throw configError('memoryQueue: a handler is already running on this queue')
      handler = fn
      pump()
    },
    async close() {
      closed = true
      // Drain: waiting retries run now instead of after their delay.
      for (const job of jobs.values()) {
        if (job.timer) {
          clearTimeout(job.timer)
          job.timer = undefined
          ready.push(job)
        }
      }
      pump()
      if (handler) await this.idle()
    },
    stats() {
      let retrying = 0
      for (const job of jobs.values()) if (job.timer) retrying++
      return { pending: ready.length, active, retrying, ...stats }
    },
    deadLetters: () => dead,
    idle() {
      if (jobs.size === 0) return Promise.resolve()
      return new Promise((resolve) => idleWaiters.push(resolve))
    },
  }
}
