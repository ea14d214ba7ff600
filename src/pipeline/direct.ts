/**
 * Steps 5–7 in one synchronous go, for a store and a queue that both live in
 * this process (memoryStore + memoryQueue): reserve, enqueue, complete
 * through their direct calls. Same answers and same failures as the
 * separate steps, without a promise or an event-loop turn per call.
 *
 * @module
 */
import type { DirectPair } from '../internal/in-process.js'
import type { HandleResult, QueuedEvent, ReserveResult } from '../types/index.js'
import { endComplete, FAILED_WARNING, LAPSED_WARNING } from './complete.js'
import type { ReceiverConfig } from './config.js'
import { enqueueFailed } from './deliver.js'
import type { Delivery } from './delivery.js'
import { checkedReservation, releaseFailed, reserveFailed } from './reserve.js'
import * as respond from './respond.js'

export function direct(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  { store, queue }: DirectPair,
): HandleResult {
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
  delivery.trace?.enter('enqueue')
  try {
    queue.enqueue(event)
  } catch (error) {
    delivery.trace?.leave('enqueue', error)
    release(config, store, event, token)
    throw enqueueFailed(config, error)
  }
  delivery.trace?.leave('enqueue')
  delivery.trace?.enter('complete')
  let warning: string | undefined
  try {
    if (store.complete(event.key, token, config.retentionMs) === false) warning = LAPSED_WARNING
  } catch {
    warning = FAILED_WARNING
  }
  return respond.accepted(config, delivery, event, endComplete(config, delivery, event, warning))
}

function release(config: ReceiverConfig, store: DirectPair['store'], event: QueuedEvent, token: string): void {
  try {
    store.release(event.key, token)
  } catch {
    releaseFailed(config, event)
  }
}
