/**
 * Steps 5–7 for a store that lives in this process (memoryStore): reserve
 * and complete through its direct calls, and enqueue through the queue's
 * direct call too when it has one (memoryQueue). Same answers and same
 * failures as the separate steps; with both direct, a delivery is settled
 * without a promise or an event-loop turn.
 *
 * @module
 */
import type { DirectQueue, DirectStore } from '../internal/in-process.js'
import type { HandleResult, QueuedEvent, ReserveResult } from '../types/index.js'
import { endComplete, FAILED_WARNING, LAPSED_WARNING } from './complete.js'
import type { ReceiverConfig } from './config.js'
import { deliver, enqueueFailed } from './deliver.js'
import type { Delivery } from './delivery.js'
import { checkedReservation, releaseFailed, reserveFailed } from './reserve.js'
import * as respond from './respond.js'

export function direct(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  store: DirectStore,
  queue: DirectQueue | undefined,
): HandleResult | Promise<HandleResult> {
  delivery.trace?.enter('reserve')
  let reservation: ReserveResult
  try {
    reservation = store.reserve(event.key, config.leaseMs)
  } catch (error) {
    throw reserveFailed(config, delivery, error)
  }
  reservation = checkedReservation(delivery, reservation)
  if (reservation.status === 'duplicate') return respond.duplicate(config, delivery, event)
  if (reservation.status === 'in_flight') return respond.inFlight(config, delivery, event, reservation.retryAfterMs)
  const token = reservation.token
  // A queue of another kind: its own (async) step, which releases the key when it fails.
  if (!queue)
    return deliver(config, delivery, event, token, undefined).then((start) => {
      try {
        return accept(config, delivery, event, store, token)
      } finally {
        start()
      }
    })
  delivery.trace?.enter('enqueue')
  try {
    queue.enqueue(event)
  } catch (error) {
    delivery.trace?.leave('enqueue', error)
    release(config, store, event, token)
    throw enqueueFailed(config, error)
  }
  delivery.trace?.leave('enqueue')
  return accept(config, delivery, event, store, token)
}

/** Complete, then answer 2xx: the event is queued, so a failure here is only a warning. */
function accept(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  store: DirectStore,
  token: string,
): HandleResult {
  delivery.trace?.enter('complete')
  let warning: string | undefined
  try {
    if (store.complete(event.key, token, config.retentionMs) === false) warning = LAPSED_WARNING
  } catch {
    warning = FAILED_WARNING
  }
  return respond.accepted(config, delivery, event, endComplete(config, delivery, event, warning))
}

function release(config: ReceiverConfig, store: DirectStore, event: QueuedEvent, token: string): void {
  try {
    store.release(event.key, token)
  } catch {
    releaseFailed(config, event)
  }
}
