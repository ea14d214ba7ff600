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
import { identify } from './identify.js'
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
  delivery.trace?.enter('verify')
  const verification = await verify(config, delivery)
  delivery.trace?.leave('verify')
  delivery.verification = verification
  const described = await describe(config, delivery, verification)
  const handshake = described.description.handshake
  if (handshake) return respond.handshake(config, delivery, handshake, described.description.type ?? verification.type)
  const event = await identify(config, delivery, verification, described)
  if (config.ackUnhandled && !inlineDeliver && !config.ackUnhandled.handles(event.type)) {
    return respond.ignored(config, delivery, event)
  }
  const reservation = await reserve(config, delivery, event)
  if (reservation.status === 'duplicate') return respond.duplicate(config, delivery, event)
  if (reservation.status === 'in_flight') return respond.inFlight(config, delivery, event, reservation.retryAfterMs)
  await deliver(config, delivery, event, reservation.token, inlineDeliver)
  const warning = await complete(config, delivery, event, reservation.token)
  return respond.accepted(config, delivery, event, warning)
}
