/**
 * The queue contract. Every built-in queue passes the conformance suite in
 * `hookguard/conformance` (`describeQueueConformance`); so must yours.
 *
 * @module
 */
import type { QueuedEvent, WebhookEvent, WebhookHandler } from './event.js'
import type { DedupeStore } from './store.js'

/** What a worker reports as it runs handlers. Hooks must not throw (errors are swallowed). */
export interface WorkerHooks {
  /** The handler finished for this event. @default none */
  onSuccess?: (event: WebhookEvent) => void
  /** The handler threw; it runs again after `delayMs`. @default none */
  onRetry?: (event: WebhookEvent, error: unknown, delayMs: number) => void
  /** The handler threw on its last attempt; the event is given up (dead-lettered). @default none */
  onDeadLetter?: (event: WebhookEvent, error: unknown) => void
}

/** A job given up after its last attempt: the same shape on every queue. */
export interface DeadLetter {
  key: string
  /** The event as its last attempt saw it. */
  event: WebhookEvent
  /** The last error's message (`Name: message`), at most 4000 characters. */
  error: string
  /** Attempts made. */
  attempts: number
  /** When it was dead-lettered, ms since the epoch. */
  failedAt: number
}

/** Counts every queue reports, the same names everywhere. */
export interface QueueStats {
  /** Waiting to run: new, or waiting for a retry. */
  pending: number
  /** Claimed by a worker now. */
  running: number
  /** Finished and still remembered (for idempotent enqueue). */
  done: number
  /** Given up after the last attempt. */
  dead: number
}

/** What an atomic intake did with one event. */
export type IntakeResult =
  { status: 'accepted' } | { status: 'duplicate' } | { status: 'in_flight'; retryAfterMs?: number }

/**
 * Dedupe and enqueue in one transaction: the reservation, the job and the
 * completed key commit together or not at all, so no crash window is left
 * between them. Resolves once committed.
 */
export type AtomicIntake = (
  event: QueuedEvent,
  options: { leaseMs: number; retentionMs: number },
) => Promise<IntakeResult>

/**
 * Queue: `enqueue` resolves only when the event is as durable as the queue can
 * make it, and is idempotent by `event.key` (a second enqueue of a key that is
 * pending, running or recently done is a no-op). An enqueue of a key that is
 * dead replaces the dead letter with a fresh job (attempts start again): that
 * is how a provider's re-send of a dead-lettered event reaches the handler.
 * `process` starts a worker that runs the handler at least once per key, with
 * retries.
 */
export interface WebhookQueue {
  enqueue(event: QueuedEvent): Promise<void>
  /** Start running `handler` for queued events (in this process), reporting through `hooks`. */
  process?(handler: WebhookHandler, hooks?: WorkerHooks): void | Promise<void>
  /** Stop intake and drain: resolves when running work has finished. */
  close?(): Promise<void>
  /** Current counts. */
  stats?(): Promise<QueueStats>
  /** Dead letters, most recent first. Default limit 100. */
  deadLetters?(options?: { limit?: number }): Promise<DeadLetter[]>
  /** Put one dead letter back with fresh attempts. Returns whether `key` was dead. */
  retryDead?(key: string): Promise<boolean>
  /** Put every dead letter back. Returns how many. */
  retryAllDead?(): Promise<number>
  /** Delete one dead letter for good. Returns whether `key` was dead. */
  discardDead?(key: string): Promise<boolean>
  /**
   * For a queue that shares a database with `store` (a PostgreSQL queue and
   * store on one pool): the function that dedupes and enqueues in one
   * transaction, or undefined when it cannot with this store. The receiver
   * then uses it instead of reserve → enqueue → complete.
   */
  atomicIntake?(store: DedupeStore): AtomicIntake | undefined
}
