/**
 * The one logger shape every part of hookguard writes to: pino's
 * `(fields, message)` call order, so a pino or bunyan logger drops in.
 *
 * @module
 */

/** Structured fields of a log line. Never secrets, signatures or bodies. */
export type LogFields = Record<string, unknown>

/** A pino-compatible logger: `logger.warn({ provider, code }, 'delivery rejected')`. */
export interface Logger {
  error(fields: LogFields, message: string): void
  warn(fields: LogFields, message: string): void
  info?(fields: LogFields, message: string): void
  debug?(fields: LogFields, message: string): void
}
