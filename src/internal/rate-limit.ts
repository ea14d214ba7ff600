/**
 * Internal: a logger that cannot be flooded. A burst of forged requests
 * would otherwise write one line each; past the budget, lines are counted
 * instead, and the count rides on the next line that gets through.
 *
 * @module
 */
import type { LogFields, Logger } from '../types/index.js'

export interface RateLimitOptions {
  /** Lines let through per window. */
  lines: number
  /** Window length, ms. */
  windowMs: number
  now?: () => number
}

export interface RateLimitedLogger extends Logger {
  /** Lines suppressed so far and not yet reported. */
  suppressed(): number
}

export function rateLimited(logger: Logger, options: RateLimitOptions): RateLimitedLogger {
  const now = options.now ?? Date.now
  let windowStart = 0
  let used = 0
  let suppressed = 0
  function write(level: 'warn' | 'error', fields: LogFields, message: string): void {
    const at = now()
    if (at - windowStart >= options.windowMs) {
      windowStart = at
      used = 0
    }
    if (used >= options.lines) {
      suppressed++
      return
    }
    used++
    if (suppressed > 0) {
      fields = { ...fields, suppressed }
      suppressed = 0
    }
    logger[level](fields, message)
  }
  return {
    warn: (fields, message) => write('warn', fields, message),
    error: (fields, message) => write('error', fields, message),
    suppressed: () => suppressed,
  }
}
