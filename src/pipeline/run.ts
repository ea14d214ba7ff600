/**
 * The receive pipeline, step by step:
 *
 *   read → verify → parse and describe → identify → reserve → deliver → complete → respond
 *
 * Each step is a small function in its own file; they share the per-request
 * {@link Delivery}. A step that refuses the request throws a HookguardError,
 * which `handle` turns into the answer.
 *
 * Steps answer synchronously where they can (node:crypto, JSON, an
 * in-process store and queue), and the pipeline only waits where a step
 * returned a promise: with the memory store and queue, a delivery goes from
 * bytes to answer without a single turn of the event loop.
 *
 * @module
 */
import { standingQueue, standingStore } from '../internal/in-process.js'
import type { HandleResult, QueuedEvent, Verification, WebhookRequest } from '../types/index.js'
import { complete } from './complete.js'
import type { ReceiverConfig } from './config.js'
import { deliver, type InlineDeliver } from './deliver.js'
import type { Delivery } from './delivery.js'
import { describe, type Described } from './describe.js'
import { direct } from './direct.js'
import { methodHandshake } from './handshake.js'
import { identify } from './identify.js'
import { intake } from './intake.js'
import { read } from './read.js'
import { reserve } from './reserve.js'
import * as respond from './respond.js'
import { verify } from './verify.js'

type Maybe<T> = T | Promise<T>

/** `next(value)` now when `value` is already there; after it resolves otherwise. */
function then<T, R>(value: Maybe<T>, next: (value: T) => Maybe<R>): Maybe<R> {
  return value instanceof Promise ? value.then(next) : next(value)
}

export function run(
  config: ReceiverConfig,
  delivery: Delivery,
  request: WebhookRequest,
  inlineDeliver: InlineDeliver | undefined,
): Maybe<HandleResult> {
  read(config, delivery, request)
  // begin() upper-cased the method.
  if (delivery.method !== 'POST') return methodHandshake(config, delivery)
  return then(traced(config, delivery), (verification) => {
    delivery.verification = verification
    return then(describe(config, delivery, verification), (described) =>
      afterDescribe(config, delivery, verification, described, inlineDeliver),
    )
  })
}

/** Verify, inside the trace's `verify` step. */
function traced(config: ReceiverConfig, delivery: Delivery): Maybe<Verification> {
  const trace = delivery.trace
  trace?.enter('verify')
  let verification: Maybe<Verification>
  try {
    verification = verify(config, delivery)
  } catch (error) {
    trace?.leave('verify', error)
    throw error
  }
  if (!(verification instanceof Promise)) {
    trace?.leave('verify')
    return verification
  }
  return verification.then(
    (value) => {
      trace?.leave('verify')
      return value
    },
    (error: unknown) => {
      trace?.leave('verify', error)
      throw error
    },
  )
}

function afterDescribe(
  config: ReceiverConfig,
  delivery: Delivery,
  verification: Verification,
  described: Described,
  inlineDeliver: InlineDeliver | undefined,
): Maybe<HandleResult> {
  const handshake = described.description.handshake
  if (handshake) return respond.handshake(config, delivery, handshake, described.description.type ?? verification.type)
  return then(identify(config, delivery, verification, described), (event) =>
    settle(config, delivery, event, inlineDeliver),
  )
}

/** Reserve, deliver and complete, by the quickest way the store, the queue and the mode allow. */
function settle(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  inlineDeliver: InlineDeliver | undefined,
): Maybe<HandleResult> {
  if (inlineDeliver) return reserveAndDeliver(config, delivery, event, inlineDeliver)
  if (config.ackUnhandled && !config.ackUnhandled.handles(event.type)) return respond.ignored(config, delivery, event)
  if (config.intake) return intake(config, delivery, event)
  const store = standingStore(config.directStore, config.store)
  if (store) return direct(config, delivery, event, store, standingQueue(config.directQueue, config.queue))
  return reserveAndDeliver(config, delivery, event, undefined)
}

async function reserveAndDeliver(
  config: ReceiverConfig,
  delivery: Delivery,
  event: QueuedEvent,
  inlineDeliver: InlineDeliver | undefined,
): Promise<HandleResult> {
  const reservation = await reserve(config, delivery, event)
  if (reservation.status === 'duplicate') return respond.duplicate(config, delivery, event)
  if (reservation.status === 'in_flight') return respond.inFlight(config, delivery, event, reservation.retryAfterMs)
  const start = await deliver(config, delivery, event, reservation.token, inlineDeliver)
  try {
    const warning = await complete(config, delivery, event, reservation.token)
    return respond.accepted(config, delivery, event, warning)
  } finally {
    start()
  }
}
