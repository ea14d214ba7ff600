/**
 * The retry policy of the built-in queues: exponential backoff with jitter.
 *
 * @module
 */
import { configError } from '../errors.js'

/** Retry policy shared by the built-in queues. */
export interface RetryOptions {
  /**
   * Total runs of the handler per event, first one included; after the last
   * failed run the event is dead-lettered.
   * @default 5
   */
  attempts?: number
  /**
   * Delay before the first retry, ms; doubles each time, with "equal jitter"
   * (between half and all of the doubled value).
   * @default 1000
   */
  backoffMs?: number
  /**
   * Upper bound of one delay, ms.
   * @default 300_000 (5 min)
   */
  maxBackoffMs?: number
}

export interface RetryPolicy {
  attempts: number
  backoffMs: number
  maxBackoffMs: number
  /** Delay after failed attempt `attempt` (1-based): exponential with "equal jitter". */
  delay(attempt: number, random?: () => number): number
}

export function resolveRetry(where: string, options: RetryOptions): RetryPolicy {
  const attempts = options.attempts ?? 5
  const backoffMs = options.backoffMs ?? 1000
  const maxBackoffMs = options.maxBackoffMs ?? 300_000
  if (!Number.isInteger(attempts) || attempts < 1) throw configError(`${where}: attempts must be an integer >= 1`)
  if (!Number.isFinite(backoffMs) || backoffMs < 0) throw configError(`${where}: backoffMs must be a number >= 0`)
  if (!Number.isFinite(maxBackoffMs) || maxBackoffMs < backoffMs)
    throw configError(`${where}: maxBackoffMs must be >= backoffMs`)
  return {
    attempts,
    backoffMs,
    maxBackoffMs,
    delay(attempt, random = Math.random) {
      const ceiling = Math.min(maxBackoffMs, backoffMs * 2 ** Math.max(0, attempt - 1))
      // Half fixed, half random: spreads retries without ever retrying at once.
      return Math.round(ceiling / 2 + random() * (ceiling / 2))
    },
  }
}
