/**
 * The state of one request as it moves through the pipeline. Each step reads
 * what the steps before it filled in.
 *
 * @module
 */
import type { NormalizedHeaders } from '../internal/headers.js'
import type { ProviderRequest, QueuedEvent, Verification } from '../types/index.js'

/** Step names, for traces. */
export type StepName = 'verify' | 'reserve' | 'enqueue' | 'complete'

/** A trace of one delivery (OpenTelemetry or another tracer), driven by the pipeline. */
export interface DeliveryTrace {
  /** A step starts. */
  enter(step: StepName): void
  /** The step that last entered ends (failed when `error` is given). */
  leave(step: StepName, error?: unknown): void
  /** Trace context to carry with the queued event (`traceparent` …), so the worker's span links back. */
  carrier?(): Record<string, string> | undefined
}

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
  trace: DeliveryTrace | undefined
}
