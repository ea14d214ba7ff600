/**
 * Internal: marks a store or queue that works in this process without I/O
 * (the memory ones). It cannot stall on a network, so the receiver skips the
 * time budget (and its timer) around its calls.
 *
 * Such a store or queue also offers its calls synchronously under
 * {@link DIRECT}. With both the store and the queue direct, the receiver
 * reserves, enqueues and completes in one synchronous step, without the
 * promises and event-loop turns the public (async) methods cost.
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
  readonly stands: { enqueue: unknown }
}

export interface DirectPair {
  store: DirectStore
  queue: DirectQueue
}

type StoreLike = { reserve: unknown; complete: unknown; release: unknown; [DIRECT]?: DirectStore }
type QueueLike = { enqueue: unknown; [DIRECT]?: DirectQueue }

/** Both direct calls of a store and a queue, when both offer them (checked once, at construction). */
export function directPair(store: object, queue: object): DirectPair | undefined {
  const directStore = (store as StoreLike)[DIRECT]
  const directQueue = (queue as QueueLike)[DIRECT]
  return directStore && directQueue ? { store: directStore, queue: directQueue } : undefined
}

/** Whether the pair still stands for the store's and queue's public methods (nobody replaced one since). */
export function stillDirect(pair: DirectPair, store: StoreLike, queue: QueueLike): boolean {
  const stands = pair.store.stands
  return (
    store.reserve === stands.reserve &&
    store.complete === stands.complete &&
    store.release === stands.release &&
    queue.enqueue === pair.queue.stands.enqueue
  )
}
