/**
 * The state of one request as it moves through the pipeline. Each step reads
 * what the steps before it filled in.
 *
 * @module
 */
import type { NormalizedHeaders } from '../internal/headers.js'
import type { ProviderRequest, QueuedEvent, ReceiveTrace, Verification } from '../types/index.js'

/** The trace of one delivery, minus its end (which `handle` reports): enter/leave per step, and a carrier. */
export type DeliveryTrace = Omit<ReceiveTrace, 'end'>

export interface Delivery {
  /** Sortable id of this request, when an archive records it. */
  deliveryId: string | undefined
  /** The receiver's clock (ms) when the request arrived: what timestamps are checked against. */
  receivedAt: number
  /** The receiver name in the dedupe key (per tenant when `name` is a function). */
  receiver: string
  /** performance.now() at the start, when someone needs the duration; else 0. */
  started: number
  method: string
  url: string | undefined
  headers: NormalizedHeaders
  /** The raw bytes, once read. */
  body: Uint8Array | undefined
  /** What the provider sees, once the bytes are read. */
  request: ProviderRequest | undefined
  verification: Verification | undefined
  /** The event, once identified. */
  event: QueuedEvent | undefined
  trace: ReceiveTrace | undefined
}
