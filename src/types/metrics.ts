/**
 * The metrics contract: what the receiver and its worker report. The
 * Prometheus (`hookguard/prometheus`) and OpenTelemetry implementations
 * both implement it; so can your own.
 *
 * @module
 */
import type { WebhookEvent } from './event.js'
import type { Outcome } from './http.js'
import type { QueueStats } from './queue.js'

/** How one handler run ended. `stale`: skipped by the ordering guard; `ignored`: no handler for its type. */
export type HandlerResult = 'success' | 'retry' | 'dead' | 'stale' | 'ignored'

export interface WebhookMetrics {
  /** One delivery answered: counts `hookguard.deliveries` and observes `hookguard.receive.duration`. */
  delivery(outcome: Outcome, durationSeconds: number): void
  /** One handler run ended: counts `hookguard.handler.runs{result}`. */
  handlerRun(event: WebhookEvent, result: HandlerResult): void
  /** How long one handler run took: `hookguard.handler.duration`. */
  handlerDuration(event: WebhookEvent, seconds: number): void
  /** Handler start − `receivedAt`: `hookguard.queue.lag`. */
  queueLag(event: WebhookEvent, seconds: number): void
  /** A queue whose depth (`stats().pending`) is read at collection time: `hookguard.queue.depth`. */
  watchQueue(queue: { stats(): Promise<QueueStats> }, labels: { provider: string; receiver: string }): void
}
