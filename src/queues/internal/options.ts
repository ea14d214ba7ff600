/**
 * Internal: option handling every built-in queue shares — where it reports,
 * its clock, integer options and the dead-letter page size.
 *
 * @module
 */
import { configError } from '../../errors.js'
import { errorText, resolveLogger } from '../../internal/log.js'
import type { Logger } from '../../types/index.js'

/** Options every built-in queue takes: where it reports, and its clock. */
export interface QueueReportingOptions {
  /**
   * Where the queue writes warnings (a dead letter nobody listens for, a
   * worker that is missing) and, through the default `onError`, its own
   * errors. A pino-compatible logger, or `false` for silence.
   * @default the console (`hookguard: <message> {fields}`)
   */
  logger?: Logger | false
  /**
   * Called with errors of the queue itself, never the handler's (those go to
   * `onRetry` / `onDeadLetter`): a busy or closed database, a lost Redis
   * connection.
   * @default `logger.error(...)`, one line per error (BullMQ: at most one per 10 s, as reconnect loops repeat)
   */
  onError?: (error: unknown) => void
  /**
   * Clock in ms since the epoch, for the queue's own time decisions (retry
   * due times, claim expiry, retention, `failedAt`), so tests can move time.
   * Timers still wait in real time.
   * @default Date.now
   */
  now?: () => number
}

/** The resolved {@link QueueReportingOptions}. */
export interface Reporting {
  logger: Logger
  onError: (error: unknown) => void
  now: () => number
}

/**
 * Resolves logger, onError and clock. With `throttleMs`, the default
 * `onError` writes at most one line per that many ms.
 */
export function resolveReporting(where: string, options: QueueReportingOptions, throttleMs = 0): Reporting {
  const logger = resolveLogger(where, options.logger)
  if (options.onError !== undefined && typeof options.onError !== 'function')
    throw configError(`${where}: onError must be a function (error) => void`)
  if (options.now !== undefined && typeof options.now !== 'function')
    throw configError(`${where}: now must be a function returning ms since the epoch, like Date.now`)
  const now = options.now ?? Date.now
  let lastLogged = -Infinity
  const onError =
    options.onError ??
    ((error: unknown) => {
      const at = now()
      if (throttleMs > 0 && at - lastLogged < throttleMs) return
      lastLogged = at
      logger.error({ queue: where, error: errorText(error) }, 'queue error')
    })
  return { logger, onError, now }
}

/** Checks an integer option that must be at least `min`. */
export function integerOption(where: string, name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw configError(`${where}: ${name} must be an integer >= ${min} (got ${String(value)})`)
  return value
}

/** The page size of `deadLetters(options)`: default 100. */
export function deadLetterLimit(where: string, options: { limit?: number } | undefined): number {
  if (options !== undefined && (options === null || typeof options !== 'object'))
    throw configError(`${where}: deadLetters takes an options object, e.g. { limit: 50 }`)
  return integerOption(where, 'deadLetters limit', options?.limit, 100)
}

/** The error every queue method but `close()` rejects with once the queue is closed. */
export function closedError(where: string): Error {
  return new Error(`${where} is closed`)
}
