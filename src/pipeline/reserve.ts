/**
 * Step 5, reserve: claim the event's key for a short lease. A completed key
 * is a duplicate; a key someone else holds is in flight. A store that fails
 * or outruns its budget is a 503: nothing is acknowledged.
 *
 * @module
 */
import { HookguardError } from '../errors.js'
import type { QueuedEvent, ReserveResult } from '../types/index.js'
import { BudgetExceeded, within } from './budget.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'

export async function reserve(config: ReceiverConfig, delivery: Delivery, event: QueuedEvent): Promise<ReserveResult> {
  delivery.trace?.enter('reserve')
  let reservation: ReserveResult
  try {
    reservation = await within(config.store.reserve(event.key, config.leaseMs), config.storeBudgetMs)
  } catch (error) {
    throw reserveFailed(config, delivery, error)
  }
  return checkedReservation(delivery, reservation)
}

/** What a store that threw or outran its budget on reserve becomes: a 503. */
export function reserveFailed(config: ReceiverConfig, delivery: Delivery, error: unknown): HookguardError {
  delivery.trace?.leave('reserve', error)
  const timedOut = error instanceof BudgetExceeded
  return new HookguardError(timedOut ? 'store.timeout' : 'store.unavailable', {
    reason: timedOut ? `reserve took over ${config.storeTimeoutMs} ms` : 'reserve failed',
    cause: error,
  })
}

/** The store's answer, once it is known to be one of the three a store may give. */
export function checkedReservation(delivery: Delivery, reservation: ReserveResult): ReserveResult {
  delivery.trace?.leave('reserve')
  const status = reservation?.status
  if (status === 'duplicate' || status === 'in_flight') return reservation
  if (status !== 'reserved' || typeof reservation.token !== 'string') {
    throw new HookguardError('store.unavailable', { reason: 'store.reserve returned an unknown result' })
  }
  return reservation
}

/** Give the key back (the delivery failed before it was safe); a failure only costs the lease. */
export async function release(config: ReceiverConfig, event: QueuedEvent, token: string): Promise<void> {
  try {
    await within(config.store.release(event.key, token), config.storeBudgetMs)
  } catch {
    releaseFailed(config, event)
  }
}

export function releaseFailed(config: ReceiverConfig, event: QueuedEvent): void {
  config.logger.warn(
    { key: event.key, leaseMs: config.leaseMs },
    'could not release a reservation; it frees itself when the lease ends',
  )
}
