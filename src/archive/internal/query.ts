/**
 * Internal: the one validation of `list()` queries, `stats()` ranges and
 * cursors, shared by every archive. A cursor is an opaque token for the
 * position (receivedAt, deliveryId) of the last item of a page; it is
 * decoded strictly, so a forged one is a TypeError here, never a SQL error.
 *
 * @module
 */
import type { ArchiveQuery } from '../../types/index.js'
import { DELIVERY_ID } from './record.js'

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 1000

/** A position in the archive's order, (receivedAt, deliveryId) ascending. */
export interface Position {
  receivedAt: number
  deliveryId: string
}

/** Equality filters of a list query, in a fixed order (statement caches key on it). */
export interface Filters {
  outcome?: string
  provider?: string
  type?: string
  code?: string
  eventId?: string
}

export const FILTER_NAMES = ['outcome', 'provider', 'type', 'code', 'eventId'] as const

export interface ResolvedRange {
  /** Inclusive, ms. */
  since: number
  /** Exclusive, ms; Infinity when open. */
  until: number
}

export interface ResolvedQuery extends ResolvedRange {
  filters: Filters
  limit: number
  /** Items strictly before this position (newest first), from the cursor. */
  before?: Position
}

const QUERY_KEYS: ReadonlySet<string> = new Set([...FILTER_NAMES, 'since', 'until', 'limit', 'cursor'])
const RANGE_KEYS: ReadonlySet<string> = new Set(['since', 'until'])
const CURSOR_TEXT = /^1\.(0|[1-9][0-9]{0,15})\.(.+)$/
const BASE64URL = /^[A-Za-z0-9_-]{4,400}$/

function checkKeys(where: string, value: object, allowed: ReadonlySet<string>): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key))
      throw new TypeError(
        `hookguard: ${where}: unknown option ${JSON.stringify(key)} (allowed: ${[...allowed].join(', ')})`,
      )
  }
}

function checkMs(where: string, name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new TypeError(`hookguard: ${where}: ${name} must be an integer of ms since the epoch (got ${String(value)})`)
  if (value < 0) throw new RangeError(`hookguard: ${where}: ${name} must be >= 0 (got ${value})`)
  return value
}

function resolveRangeOf(where: string, value: { since?: unknown; until?: unknown }): ResolvedRange {
  const since = checkMs(where, 'since', value.since) ?? 0
  const until = checkMs(where, 'until', value.until) ?? Infinity
  if (since > until) throw new RangeError(`hookguard: ${where}: since (${since}) is after until (${until})`)
  return { since, until }
}

/** Validates `stats({ since?, until? })`. */
export function resolveRange(where: string, range: unknown): ResolvedRange {
  if (range === undefined) return { since: 0, until: Infinity }
  if (!range || typeof range !== 'object') throw new TypeError(`hookguard: ${where}: range must be { since?, until? }`)
  checkKeys(where, range, RANGE_KEYS)
  return resolveRangeOf(where, range)
}

function checkLimit(where: string, value: unknown): number {
  if (value === undefined) return DEFAULT_LIMIT
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw new TypeError(`hookguard: ${where}: limit must be an integer (got ${String(value)})`)
  if (value < 1 || value > MAX_LIMIT)
    throw new RangeError(`hookguard: ${where}: limit must be between 1 and ${MAX_LIMIT} (got ${value})`)
  return value
}

/** Validates a `list()` query once, for every archive. */
export function resolveQuery(where: string, query: unknown): ResolvedQuery {
  if (query === undefined) return { filters: {}, since: 0, until: Infinity, limit: DEFAULT_LIMIT }
  if (!query || typeof query !== 'object' || Array.isArray(query))
    throw new TypeError(`hookguard: ${where}: the query must be an object`)
  checkKeys(where, query, QUERY_KEYS)
  const q = query as ArchiveQuery
  const filters: Filters = {}
  for (const name of FILTER_NAMES) {
    const value: unknown = q[name]
    if (value === undefined) continue
    if (typeof value !== 'string' || value === '' || value.length > 1024)
      throw new TypeError(`hookguard: ${where}: ${name} must be a non-empty string (got ${typeof value})`)
    filters[name] = value
  }
  const resolved: ResolvedQuery = Object.assign({ filters }, resolveRangeOf(where, q), {
    limit: checkLimit(where, q.limit),
  })
  if (q.cursor !== undefined) resolved.before = decodeCursor(where, q.cursor)
  return resolved
}

function badCursor(where: string): TypeError {
  return new TypeError(`hookguard: ${where}: cursor is not one this archive returned; pass page.cursor unchanged`)
}

/** The opaque cursor for the position of a page's last item. */
export function encodeCursor(position: Position): string {
  return btoa(`1.${position.receivedAt}.${position.deliveryId}`)
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

/** Strict inverse of {@link encodeCursor}: anything it did not produce is a TypeError. */
export function decodeCursor(where: string, cursor: unknown): Position {
  if (typeof cursor !== 'string' || !BASE64URL.test(cursor)) throw badCursor(where)
  let text: string
  try {
    const padded = cursor.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (cursor.length % 4)) % 4)
    text = atob(padded)
  } catch {
    throw badCursor(where)
  }
  const match = CURSOR_TEXT.exec(text)
  if (!match) throw badCursor(where)
  const position = { receivedAt: Number(match[1]), deliveryId: match[2]! }
  if (!Number.isSafeInteger(position.receivedAt) || !DELIVERY_ID.test(position.deliveryId)) throw badCursor(where)
  // Canonical form only: one position, one cursor (no padding or stray-bit variants).
  if (encodeCursor(position) !== cursor) throw badCursor(where)
  return position
}

/** Compares two positions in the archive's order. */
export function comparePositions(a: Position, b: Position): number {
  if (a.receivedAt !== b.receivedAt) return a.receivedAt - b.receivedAt
  return a.deliveryId < b.deliveryId ? -1 : a.deliveryId > b.deliveryId ? 1 : 0
}
