/**
 * Internal: marks a store or queue that works in this process without I/O
 * (the memory ones). It cannot stall on a network, so the receiver skips the
 * time budget (and its timer) around its calls.
 *
 * Such a store or queue also offers its calls synchronously under
 * {@link DIRECT}. The receiver then reserves and completes (and, with a
 * direct queue too, enqueues) without the promises and event-loop turns the
 * public (async) methods cost.
 *
 * @module
 */
import type { QueuedEvent, ReserveResult } from '../types/index.js'

export const IN_PROCESS = Symbol.for('hookguard.inProcess')

export function isInProcess(component: object): boolean {
  return (component as Record<symbol, unknown>)[IN_PROCESS] === true
}

export const DIRECT = Symbol.for('hookguard.direct')

/** A store's key calls, answered synchronously. */
export interface DirectStore {
  reserve(key: string, leaseMs: number): ReserveResult
  complete(key: string, token: string, retentionMs: number): boolean
  release(key: string, token: string): boolean
  /** The public methods these calls stand for: a store whose method was replaced (a test spy) takes the public path. */
  readonly stands: { reserve: unknown; complete: unknown; release: unknown }
}

/** A queue's enqueue, answered synchronously (it throws where the public one rejects). */
export interface DirectQueue {
  enqueue(event: QueuedEvent): void
  /**
   * Enqueues, but the worker leaves the event alone until `start()` is
   * called: the receiver calls it once the answer is made, so a handler
   * never runs ahead of the 2xx while a store call is still on the wire.
   */
  enqueueHeld(event: QueuedEvent): () => void
  readonly stands: { enqueue: unknown }
}

type StoreLike = { reserve: unknown; complete: unknown; release: unknown; [DIRECT]?: DirectStore }
type QueueLike = { enqueue: unknown; [DIRECT]?: DirectQueue }

/** The direct calls a store offers (looked up once, at construction). */
export function directStoreOf(store: object): DirectStore | undefined {
  return (store as StoreLike)[DIRECT]
}

/** The direct calls a queue offers (looked up once, at construction). */
export function directQueueOf(queue: object): DirectQueue | undefined {
  return (queue as QueueLike)[DIRECT]
}

/** `direct`, when it still stands for the store's public methods (nobody replaced one since construction). */
export function standingStore(direct: DirectStore | undefined, store: StoreLike): DirectStore | undefined {
  const stands = direct?.stands
  return stands &&
    store.reserve === stands.reserve &&
    store.complete === stands.complete &&
    store.release === stands.release
    ? direct
    : undefined
}

/** `direct`, when it still stands for the queue's public enqueue. */
export function standingQueue(direct: DirectQueue | undefined, queue: QueueLike): DirectQueue | undefined {
  return direct && queue.enqueue === direct.stands.enqueue ? direct : undefined
}
