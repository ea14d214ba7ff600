/**
 * Internal: the logger every part of hookguard writes to, resolved once per
 * component from its `logger` option.
 *
 * @module
 */
import { configError } from '../errors.js'
import type { LogFields, Logger } from '../types/index.js'

function line(message: string, fields: LogFields): string {
  const keys = Object.keys(fields)
  if (keys.length === 0) return `hookguard: ${message}`
  let text: string
  try {
    text = JSON.stringify(fields)
  } catch {
    text = keys.join(',')
  }
  return `hookguard: ${message} ${text}`
}

/** The default: one line per entry on the console, `hookguard: <message> {fields}`. */
export const consoleLogger: Logger = {
  error: (fields, message) => console.error(line(message, fields)),
  warn: (fields, message) => console.warn(line(message, fields)),
  info: (fields, message) => console.info(line(message, fields)),
  debug: () => {},
}

/** `logger: false`. */
export const silentLogger: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} }

/** Validates a `logger` option: a pino-compatible logger, `false` for silence, or undefined for the console. */
export function resolveLogger(where: string, option: unknown): Logger {
  if (option === undefined) return consoleLogger
  if (option === false) return silentLogger
  const candidate = option as Partial<Logger> | null
  if (!candidate || typeof candidate.warn !== 'function' || typeof candidate.error !== 'function') {
    throw configError(
      `${where}: logger must have warn(fields, message) and error(fields, message) (pino works), or be false`,
    )
  }
  return candidate as Logger
}

/** Calls a user hook; a hook that throws is ignored, since hooks observe and never decide. */
export function callHook<A extends unknown[]>(hook: ((...args: A) => unknown) | undefined, ...args: A): void {
  if (!hook) return
  try {
    const result = hook(...args)
    if (result && typeof (result as Promise<unknown>).catch === 'function') (result as Promise<unknown>).catch(() => {})
  } catch {
    // Observation only.
  }
}

/** `Name: message` of an error, at most 4000 characters, for logs and dead letters. */
export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text
}
