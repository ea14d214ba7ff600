/**
 * Steps 5 to 7 in one: for a queue that shares a database with the store,
 * reserve, enqueue and complete commit in one transaction. A failure or a
 * blown budget is a 503 and nothing is acknowledged; the transaction either
 * committed (a retry is a duplicate) or did not (a retry goes through).
 *
 * @module
 */
import { HookguardError } from '../errors.js'
import type { HandleResult, IntakeResult, QueuedEvent } from '../types/index.js'
import { BudgetExceeded, within } from './budget.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'
import * as respond from './respond.js'

export async function intake(config: ReceiverConfig, delivery: Delivery, event: QueuedEvent): Promise<HandleResult> {
  delivery.trace?.enter('enqueue')
  let result: IntakeResult
  try {
    const options = { leaseMs: config.leaseMs, retentionMs: config.retentionMs }
    result = await within(config.intake!(event, options), config.queueBudgetMs)
  } catch (error) {
    delivery.trace?.leave('enqueue', error)
    const timedOut = error instanceof BudgetExceeded
    throw new HookguardError(timedOut ? 'queue.timeout' : 'queue.unavailable', {
      reason: timedOut ? `atomic intake took over ${config.queueTimeoutMs} ms` : 'atomic intake failed',
      cause: error,
    })
  }
  delivery.trace?.leave('enqueue')
  switch (result?.status) {
    case 'accepted':
      return respond.accepted(config, delivery, event)
    case 'duplicate':
      return respond.duplicate(config, delivery, event)
    case 'in_flight':
      return respond.inFlight(config, delivery, event, result.retryAfterMs)
    default:
      throw new HookguardError('queue.unavailable', { reason: 'atomic intake returned an unknown result' })
  }
}
