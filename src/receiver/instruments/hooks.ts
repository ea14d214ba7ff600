/**
 * The `onOutcome` hook and `metrics`, fed once per delivery. Errors they
 * throw are ignored: they observe, they never change the answer.
 *
 * @module
 */
import { callHook } from '../../internal/log.js'
import type { Instrument } from '../../pipeline/config.js'
import type { Outcome, WebhookMetrics } from '../../types/index.js'

/** What `onOutcome` gets beside the outcome. */
export interface OutcomeContext {
  method: string
  url?: string
  durationMs: number
  /** The archive record of this request, when an archive is on. */
  deliveryId?: string
}

export type OutcomeHook = (outcome: Outcome, context: OutcomeContext) => void | Promise<void>

export function outcomeInstrument(hook: OutcomeHook): Instrument {
  return {
    end(delivery, result, durationMs) {
      const context: OutcomeContext = { method: delivery.method, url: delivery.url, durationMs }
      if (delivery.deliveryId !== undefined) context.deliveryId = delivery.deliveryId
      callHook(hook, result.outcome, context)
    },
  }
}

export function metricsInstrument(metrics: WebhookMetrics): Instrument {
  return {
    end(_delivery, result, durationMs) {
      callHook(() => metrics.delivery(result.outcome, durationMs / 1000))
    },
  }
}
