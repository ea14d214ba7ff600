/**
 * A store and a queue that do nothing, for measuring what hookguard's path
 * costs without its guarantees (bench:perf's `hookguard-verify` and
 * `hookguard-dedupe` servers). They offer the same synchronous in-process
 * calls as memoryStore and memoryQueue (under hookguard's `Symbol.for` keys),
 * so the pipeline takes the same direct path it takes with those: the
 * difference between two servers is the work of the store or the queue, not
 * a slower path through the receiver.
 *
 * Never use these outside a benchmark: the store forgets every delivery
 * (no dedupe) and the queue drops every event.
 */
import type { DedupeStore, QueuedEvent, ReserveResult, WebhookQueue } from '../../src/index.js'

const IN_PROCESS = Symbol.for('hookguard.inProcess')
const DIRECT = Symbol.for('hookguard.direct')

const RESERVED: ReserveResult = { status: 'reserved', token: 'bench' }

/** Reserves every key (nothing is remembered, so nothing is a duplicate) and completes at once. */
export function forgetfulStore(): DedupeStore {
  const reserve = async (): Promise<ReserveResult> => RESERVED
  const complete = async (): Promise<boolean> => true
  const release = async (): Promise<boolean> => true
  return Object.assign(
    { reserve, complete, release },
    {
      [IN_PROCESS]: true,
      [DIRECT]: {
        reserve: () => RESERVED,
        complete: () => true,
        release: () => true,
        stands: { reserve, complete, release },
      },
    },
  )
}

/** Accepts every event and drops it: no worker runs, so the handler never does. */
export function droppingQueue(): WebhookQueue & { dropped(): number } {
  let dropped = 0
  const drop = (_event: QueuedEvent): void => {
    dropped++
  }
  const enqueue = async (event: QueuedEvent): Promise<void> => drop(event)
  return Object.assign(
    { enqueue, process: () => {}, dropped: () => dropped },
    {
      [IN_PROCESS]: true,
      [DIRECT]: {
        enqueue: drop,
        enqueueHeld: (event: QueuedEvent) => {
          drop(event)
          return () => {}
        },
        stands: { enqueue },
      },
    },
  )
}
