/**
 * Internal: the archive filters `list`, `tail` and `stats` share.
 *
 * @module
 */
import { closest } from '../../internal/suggest.js'
import type { ArchiveQuery, OutcomeKind } from '../../types/index.js'
import { integerValue, stringValue, timeValue, type OptionSpecs, type Values } from './args.js'
import { UsageError } from './errors.js'

export const OUTCOMES: readonly OutcomeKind[] = [
  'accepted',
  'duplicate',
  'in_flight',
  'ignored',
  'handshake',
  'rejected',
  'unavailable',
]

export const RANGE_OPTIONS: OptionSpecs = {
  since: { type: 'string' },
  until: { type: 'string' },
}

export const FILTER_OPTIONS: OptionSpecs = {
  outcome: { type: 'string' },
  provider: { type: 'string', short: 'p' },
  type: { type: 'string' },
  code: { type: 'string' },
  'event-id': { type: 'string' },
  ...RANGE_OPTIONS,
}

export const RANGE_HELP = `      --since TIME         from TIME on: ms since the epoch, an ISO date, or a duration ago (15m, 2h, 7d)
      --until TIME         before TIME (same forms)`

export const FILTER_HELP = `Filters:
      --outcome KIND       ${OUTCOMES.join(', ')}
  -p, --provider NAME      stripe, github, …
      --type TYPE          event type (payment_intent.succeeded …)
      --code CODE          error code (signature.invalid …)
      --event-id ID        the provider's event id
${RANGE_HELP}`

export function rangeOf(values: Values, now: number): { since?: number; until?: number } {
  const since = timeValue(values, 'since', now)
  const until = timeValue(values, 'until', now)
  if (since !== undefined && until !== undefined && since > until) throw new UsageError('--since is after --until')
  return { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) }
}

/** The archive query the filter flags describe (without limit and cursor). */
export function queryOf(values: Values, now: number): ArchiveQuery {
  const outcome = stringValue(values, 'outcome')
  if (outcome !== undefined && !OUTCOMES.includes(outcome as OutcomeKind)) {
    const guess = closest(outcome, OUTCOMES)
    throw new UsageError(`--outcome must be one of ${OUTCOMES.join(', ')}${guess ? ` (did you mean ${guess}?)` : ''}`)
  }
  const query: ArchiveQuery = { ...rangeOf(values, now) }
  const set = <K extends keyof ArchiveQuery>(key: K, value: ArchiveQuery[K] | undefined): void => {
    if (value !== undefined) query[key] = value
  }
  set('outcome', outcome as OutcomeKind | undefined)
  set('provider', stringValue(values, 'provider'))
  set('type', stringValue(values, 'type'))
  set('code', stringValue(values, 'code'))
  set('eventId', stringValue(values, 'event-id'))
  return query
}

export function limitOf(values: Values, fallback: number): number {
  return integerValue(values, 'limit', 1, 1000) ?? fallback
}

/** Archive query validation errors (a forged cursor …) are bad input. */
export function asUsage(error: unknown): never {
  if (error instanceof TypeError || error instanceof RangeError)
    throw new UsageError(error.message.replace(/^hookguard: /, ''))
  throw error
}
