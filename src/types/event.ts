/**
 * The verified event that reaches the queue and the handler.
 *
 * @module
 */

/** The verified event that reaches the queue and the handler. */
export interface WebhookEvent<T = unknown> {
  /** The provider's event id (or the provider's documented fallback). */
  id: string
  /** Namespaced dedupe key: `provider:receiverName:id`. */
  key: string
  /** 'stripe', 'github', … */
  provider: string
  /** 'payment_intent.succeeded', 'push', … where the provider has one. */
  type?: string
  /** The signed timestamp in seconds, where the scheme has one. */
  timestamp?: number
  /** When the receiver accepted it, ms since the epoch. */
  receivedAt: number
  /** The parsed body. */
  payload: T
  /** Request headers, lower-case, with signature and token headers redacted. */
  headers: Record<string, string>
  /** 1 on the first run of the handler. */
  attempt: number
  /** The archive record of the request that enqueued it (sortable, unique per request). */
  deliveryId?: string
  /**
   * Small string values that travel with the event through every queue,
   * opaque to the queue: trace context (`traceparent`, `tracestate`), the
   * delivery this one replays (`replayOf`), the tenant. Queues must store and
   * return it unchanged.
   */
  meta?: Record<string, string>
}

/** What a queue receives: the event before any attempt. */
export type QueuedEvent<T = unknown> = Omit<WebhookEvent<T>, 'attempt'>

/** The handler run by a queue's worker after the 2xx. */
export type WebhookHandler<T = unknown> = (event: WebhookEvent<T>) => unknown
