/**
 * Where a delivery starts: its context, its id and its trace.
 *
 * @module
 */
import { newDeliveryId } from '../internal/delivery-id.js'
import type { NormalizedHeaders } from '../internal/headers.js'
import type { ReceiverConfig } from './config.js'
import { upperMethod } from './read.js'
import type { Delivery } from './delivery.js'

const NO_HEADERS: NormalizedHeaders = Object.freeze(Object.create(null)) as NormalizedHeaders

export function begin(config: ReceiverConfig, method: unknown, url: string | undefined): Delivery {
  const receivedAt = config.now()
  const delivery: Delivery = {
    deliveryId: config.archived ? newDeliveryId(receivedAt) : undefined,
    receivedAt,
    receiver: config.receiverName,
    started: config.timed ? performance.now() : 0,
    method: upperMethod(method),
    url,
    headers: NO_HEADERS,
    body: undefined,
    request: undefined,
    verification: undefined,
    event: undefined,
    trace: undefined,
  }
  for (const instrument of config.instruments) {
    const trace = instrument.begin?.(delivery)
    if (trace) delivery.trace = trace
  }
  return delivery
}
