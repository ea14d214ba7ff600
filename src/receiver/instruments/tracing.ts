/**
 * Drives a {@link WebhookTracing} (OpenTelemetry through `hookguard/otel`):
 * the delivery span starts when the request arrives and ends with the answer.
 *
 * @module
 */
import type { Instrument } from '../../pipeline/config.js'
import type { WebhookTracing } from '../../types/index.js'

export function tracingInstrument(tracing: WebhookTracing, provider: string): Instrument {
  return {
    begin(delivery) {
      try {
        return tracing.startReceive({
          method: delivery.method,
          url: delivery.url,
          provider,
          receiver: delivery.receiver,
        })
      } catch {
        return undefined
      }
    },
    end(delivery, result) {
      const trace = delivery.trace
      if (!trace) return
      const event = delivery.event
      trace.end({
        outcome: result.outcome,
        status: result.status,
        bodySize: delivery.body?.length ?? 0,
        ...(event ? { eventId: event.id, ...(event.type !== undefined ? { type: event.type } : {}) } : {}),
      })
    },
  }
}
