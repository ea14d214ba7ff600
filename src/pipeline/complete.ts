/**
 * Step 7, complete: mark the key done for the retention period. The event is
 * already durably queued, so a failure here still answers 2xx: a retry
 * inside the lease gets 409, later ones re-enqueue idempotently by key.
 *
 * @module
 */
import type { QueuedEvent } from '../types/index.js'
import { within } from './budget.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'

/** Returns a warning when the key could not be completed. */
export async function complete(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  token: string,
): Promise<string | undefined> {
  delivery.trace?.enter('complete')
  let warning: string | undefined
  try {
    const completed = await within(config.store.complete(event.key, token, config.retentionMs), config.storeBudgetMs)
    if (completed === false) warning = LAPSED_WARNING
  } catch {
    warning = FAILED_WARNING
  }
  return endComplete(config, delivery, event, warning)
}

export const LAPSED_WARNING = 'reservation lapsed before completion; the queue dedupes a second enqueue by key'
export const FAILED_WARNING = 'store.complete failed after enqueue'

/** Ends the step: the warning (if any) goes to the trace and the log, and on to the answer. */
export function endComplete(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  warning: string | undefined,
): string | undefined {
  delivery.trace?.leave('complete', warning)
  if (warning) config.logger.warn({ key: event.key, provider: event.provider }, warning)
  return warning
}
