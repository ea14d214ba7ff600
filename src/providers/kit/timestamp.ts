/**
 * Signed timestamps: the tolerance option, strict parsing (whole seconds or
 * RFC 3339) and the check in both directions.
 *
 * @module
 */
import { configError, HookguardError } from '../../errors.js'
import type { ProviderRequest } from '../../types/index.js'
import { readHeader } from './headers.js'

const DEFAULT_TOLERANCE_SECONDS = 300

/** The options of a scheme with a signed timestamp. */
export interface TimestampOptions {
  /**
   * Allowed clock skew in seconds, checked in both directions (stale and
   * future). Must be a finite number > 0 and at most 86400 (a day).
   * @default 300, or the sender's own recommendation: Twitch and Box 600, Calendly 180, Linear 60, Contentful 30
   */
  tolerance?: number
  /**
   * Turn the timestamp check off. Unsafe: without it a captured delivery can
   * be replayed for as long as the dedupe store remembers nothing of it.
   * @default false
   */
  skipTimestampCheck?: boolean
}

/** Validates the tolerance options; returns the tolerance in seconds, undefined when the check is off. */
export function resolveTolerance(
  provider: string,
  options: TimestampOptions,
  defaultSeconds = DEFAULT_TOLERANCE_SECONDS,
): number | undefined {
  if (options.skipTimestampCheck !== undefined && typeof options.skipTimestampCheck !== 'boolean') {
    throw configError(`${provider}: skipTimestampCheck must be a boolean`)
  }
  if (options.skipTimestampCheck === true) {
    if (options.tolerance !== undefined)
      throw configError(`${provider}: give either tolerance or skipTimestampCheck, not both`)
    return undefined
  }
  const tolerance = options.tolerance ?? defaultSeconds
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance <= 0) {
    throw configError(
      `${provider}: tolerance must be a finite number of seconds greater than 0 (got ${String(tolerance)}); ` +
        'to turn the timestamp check off, pass skipTimestampCheck: true',
    )
  }
  // Longer than a day is a unit mistake (ms for seconds), and it would open a replay window of that size.
  if (tolerance > 86_400) {
    throw configError(
      `${provider}: tolerance is in seconds, and ${tolerance} s is over a day — did you give milliseconds? ` +
        `(tolerance: ${Math.round(tolerance / 1000)} would be ${Math.round(tolerance / 1000)} s)`,
    )
  }
  return tolerance
}

/** Refuses timestamp options for a scheme that signs no timestamp. */
export function refuseTolerance(provider: string, sender: string, options: TimestampOptions): void {
  if (options.tolerance !== undefined || options.skipTimestampCheck !== undefined) {
    throw configError(
      `${provider}: ${sender} signs no timestamp, so tolerance cannot apply; replays are stopped by the dedupe store`,
    )
  }
}

/** Seconds since the epoch: 1 to 12 ASCII digits only (no sign, decimal point, spaces or exponent). */
export function parseTimestamp(text: string | undefined, header: string): number {
  if (text === undefined || text === '')
    throw new HookguardError('timestamp.missing', { reason: `header ${header} is missing` })
  // A digit loop rather than a regex: this runs on every request (profiled).
  let seconds = text.length > 12 ? NaN : 0
  for (let i = 0; i < text.length && seconds === seconds; i++) {
    const digit = text.charCodeAt(i) - 48
    seconds = digit >= 0 && digit <= 9 ? seconds * 10 + digit : NaN
  }
  if (Number.isNaN(seconds))
    throw new HookguardError('timestamp.malformed', { reason: `header ${header} is not a whole number of seconds` })
  return seconds
}

/** Both directions: neither older nor further in the future than the tolerance. */
export function checkTimestamp(timestampSeconds: number, nowMs: number, toleranceSeconds: number | undefined): void {
  if (toleranceSeconds === undefined) return
  const skew = nowMs / 1000 - timestampSeconds
  if (skew > toleranceSeconds || -skew > toleranceSeconds) {
    const where = skew > 0 ? `${Math.round(skew)} s old` : `${Math.round(-skew)} s in the future`
    throw new HookguardError('timestamp.out_of_range', {
      reason: `timestamp is ${where} (tolerance ${toleranceSeconds} s)`,
    })
  }
}

/** A timestamp header: present, digits only, within the tolerance both ways. Returns the text as signed and its seconds. */
export function readSignedTimestamp(
  request: ProviderRequest,
  header: string,
  tolerance: number | undefined,
): { text: string; seconds: number } {
  const text = readHeader(request, header)
  const seconds = parseTimestamp(text, header)
  checkTimestamp(seconds, request.now, tolerance)
  return { text: text!, seconds }
}

const RFC3339_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/** Minutes east of UTC of an RFC 3339 offset, or undefined when out of range. */
function offsetMinutes(zulu: string | undefined, sign: string | undefined, hours: string, minutes: string) {
  if (zulu) return 0
  const h = Number(hours)
  const m = Number(minutes)
  if (h > 23 || m > 59) return undefined
  return (sign === '-' ? -1 : 1) * (h * 60 + m)
}

/**
 * Strict RFC 3339 date-time to seconds since the epoch (fractional). Returns
 * undefined for anything else: no leap seconds, no missing offset, no
 * out-of-range fields, nothing before 1970.
 */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC3339_RE.exec(text)
  if (!match) return undefined
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = match
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined
  // Date.UTC maps years 0-99 to 1900-1999; no real delivery is that old.
  if (year < 1970) return undefined
  const offset = offsetMinutes(zulu, sign, oh ?? '0', om ?? '0')
  if (offset === undefined) return undefined
  const utc = Date.UTC(year, month - 1, day, hour, minute, second) / 1000
  return utc - offset * 60 + (fraction ? Number(`0.${fraction}`) : 0)
}
