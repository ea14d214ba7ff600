/**
 * Signed timestamps in milliseconds (Sanity's `t=`, Contentful's
 * `X-Contentful-Timestamp`): strict digits, checked both ways against the
 * receiver's clock with the tolerance in seconds, like the seconds readers.
 *
 * @module
 */
import { HookguardError } from '../../errors.js'
import { checkTimestamp } from './timestamp.js'

/** Milliseconds since the epoch: 1 to 15 ASCII digits only (no sign, decimal point, spaces or exponent). */
export function parseMillis(text: string | undefined, where: string): number {
  if (text === undefined || text === '')
    throw new HookguardError('timestamp.missing', { reason: `${where} is missing` })
  if (!/^[0-9]{1,15}$/.test(text))
    throw new HookguardError('timestamp.malformed', { reason: `${where} is not a whole number of milliseconds` })
  return Number(text)
}

/**
 * A millisecond timestamp, checked within `tolerance` seconds both ways.
 * Returns the whole seconds an event carries as its timestamp.
 */
export function checkMillis(ms: number, nowMs: number, tolerance: number | undefined): number {
  checkTimestamp(ms / 1000, nowMs, tolerance)
  return Math.floor(ms / 1000)
}
