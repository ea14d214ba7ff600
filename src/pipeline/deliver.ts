/**
 * Step 6, deliver: hand the event to the queue, or in inline mode to the
 * app's own next handler. The 2xx waits for this: `enqueue` resolves only
 * when the event is as durable as the queue makes it. On failure the
 * reservation is released so a retry can go through.
 *
 * @module
 */
import { HookguardError } from '../errors.js'
import { standingQueue } from '../internal/in-process.js'
import type { QueuedEvent, WebhookEvent } from '../types/index.js'
import { BudgetExceeded, within } from './budget.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'
import { DeliveryFailed } from './errors.js'
import { release } from './reserve.js'

/** Inline mode: the app's own handler takes the verified event instead of the queue. */
export type InlineDeliver = (event: WebhookEvent) => Promise<unknown> | unknown

async function inline(
  config: ReceiverConfig,
  event: QueuedEvent,
  token: string,
  deliver: InlineDeliver,
): Promise<void> {
  let delivered: unknown
  try {
    delivered = await deliver(Object.assign({}, event, { attempt: 1 }))
  } catch (error) {
    await release(config, event, token)
    throw new DeliveryFailed(error)
  }
  if (delivered === false) {
    await release(config, event, token)
    throw new HookguardError('handler.failed', { reason: 'inline handler did not succeed' })
  }
}

/** Starts a held event (see {@link DirectQueue.enqueueHeld}); a no-op for other queues. */
export type StartQueued = () => void

const STARTED: StartQueued = () => {}

async function enqueue(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  token: string,
): Promise<StartQueued> {
  delivery.trace?.enter('enqueue')
  let start = STARTED
  try {
    // An in-process worker (memoryQueue) waits for the answer: the store's completion may still be on the wire.
    const held = standingQueue(config.directQueue, config.queue)
    if (held) start = held.enqueueHeld(event)
    else await within(config.queue.enqueue(event), config.queueBudgetMs)
  } catch (error) {
    delivery.trace?.leave('enqueue', error)
    await release(config, event, token)
    throw enqueueFailed(config, error)
  }
  delivery.trace?.leave('enqueue')
  return start
}

/** What a queue that threw or outran its budget becomes: a 503 (the reservation is already released). */
export function enqueueFailed(config: ReceiverConfig, error: unknown): HookguardError {
  const timedOut = error instanceof BudgetExceeded
  return new HookguardError(timedOut ? 'queue.timeout' : 'queue.unavailable', {
    reason: timedOut ? `enqueue took over ${config.queueTimeoutMs} ms` : 'enqueue failed',
    cause: error,
  })
}

/** Resolves to what starts the queued event once the answer is made. */
export function deliver(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  token: string,
  inlineDeliver: InlineDeliver | undefined,
): Promise<StartQueued> {
  return inlineDeliver
    ? inline(config, event, token, inlineDeliver).then(() => STARTED)
    : enqueue(config, delivery, event, token)
}
