/**
 * The receive pipeline, step by step:
 *
 *   read → verify → parse and describe → identify → reserve → deliver → complete → respond
 *
 * Each step is a small function in its own file; they share the per-request
 * {@link Delivery}. A step that refuses the request throws a HookguardError,
 * which `handle` turns into the answer.
 *
 * @module
 */
import type { HandleResult, WebhookRequest } from '../types/index.js'
import { complete } from './complete.js'
import type { ReceiverConfig } from './config.js'
import { deliver, type InlineDeliver } from './deliver.js'
import type { Delivery } from './delivery.js'
import { describe } from './describe.js'
import { methodHandshake } from './handshake.js'
import { identify } from './identify.js'
import { intake } from './intake.js'
import { read } from './read.js'
import { reserve } from './reserve.js'
import * as respond from './respond.js'
import { verify } from './verify.js'

export async function run(
  config: ReceiverConfig,
  delivery: Delivery,
  request: WebhookRequest,
  inlineDeliver: InlineDeliver | undefined,
): Promise<HandleResult> {
  read(config, delivery, request)
  if (delivery.method.toUpperCase() !== 'POST') return methodHandshake(config, delivery)
  delivery.trace?.enter('verify')
  let verification
  try {
    verification = verify(config, delivery)
    // Steps answer synchronously where they can (node:crypto, JSON): no await, no extra turn of the event loop.
    if (verification instanceof Promise) verification = await verification
  } catch (error) {
    delivery.trace?.leave('verify', error)
    throw error
  }
  delivery.trace?.leave('verify')
  delivery.verification = verification
  let described = describe(config, delivery, verification)
  if (described instanceof Promise) described = await described
  const handshake = described.description.handshake
  if (handshake) return respond.handshake(config, delivery, handshake, described.description.type ?? verification.type)
  let event = identify(config, delivery, verification, described)
  if (event instanceof Promise) event = await event
  if (config.ackUnhandled && !inlineDeliver && !config.ackUnhandled.handles(event.type)) {
    return respond.ignored(config, delivery, event)
  }
  if (config.intake && !inlineDeliver) return intake(config, delivery, event)
  const reservation = await reserve(config, delivery, event)
  if (reservation.status === 'duplicate') return respond.duplicate(config, delivery, event)
  if (reservation.status === 'in_flight') return respond.inFlight(config, delivery, event, reservation.retryAfterMs)
  await deliver(config, delivery, event, reservation.token, inlineDeliver)
  const warning = await complete(config, delivery, event, reservation.token)
  return respond.accepted(config, delivery, event, warning)
}
