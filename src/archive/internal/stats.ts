/**
 * Internal: how the SQL archives answer `stats()` fast. Besides the records,
 * each keeps a small counts table — one row per (grain, bucket, outcome,
 * code, provider, type, state) with a count — maintained in the same
 * transaction as every write, progress update and purge. A range is then
 * summed from whole days, hours and minutes of counts, and only the at most
 * two partial minutes at its edges are counted from the records themselves.
 * Over 30 days that is at most ~30 + 2·23 + 2·59 bucket groups, whatever the
 * number of records.
 *
 * @module
 */
import type { ArchiveStats } from '../../types/index.js'
import type { ResolvedRange } from './query.js'

/** Bucket sizes, ms, coarsest first: day, hour, minute (UTC-aligned). */
export const GRAINS = [86_400_000, 3_600_000, 60_000] as const

/** Part of a range: counted from the `grain` buckets in [from, to), or from the records when `grain` is 0. */
export interface Segment {
  grain: number
  from: number
  /** Exclusive; Infinity when open. */
  to: number
}

function split(from: number, to: number, level: number, out: Segment[]): void {
  if (from >= to) return
  if (level === GRAINS.length) {
    out.push({ grain: 0, from, to })
    return
  }
  const grain = GRAINS[level]!
  const first = Math.ceil(from / grain) * grain
  const last = to === Infinity ? Infinity : Math.floor(to / grain) * grain
  if (first >= last) {
    split(from, to, level + 1, out)
    return
  }
  split(from, first, level + 1, out)
  out.push({ grain, from: first, to: last })
  split(last, to, level + 1, out)
}

/** The segments that exactly cover a range, largest buckets possible. */
export function splitRange(range: ResolvedRange): Segment[] {
  const out: Segment[] = []
  split(range.since, range.until, 0, out)
  return out
}

/** One group of counted records; absent code, type and state are ''. */
export interface CountRow {
  outcome: string
  code: string
  provider: string
  type: string
  state: string
  n: number
}

/** The key of a counts row within its bucket. */
export function countKey(row: Omit<CountRow, 'n'>): string {
  return JSON.stringify([row.outcome, row.code, row.provider, row.type, row.state])
}

/** Sums count rows into {@link ArchiveStats}; groups whose sum is 0 disappear. */
export function toStats(rows: Iterable<CountRow>): ArchiveStats {
  const groups = new Map<string, CountRow>()
  for (const row of rows) {
    const key = countKey(row)
    const seen = groups.get(key)
    if (seen) seen.n += Number(row.n)
    else groups.set(key, Object.assign({}, row, { n: Number(row.n) }))
  }
  const tally = {
    outcome: new Map<string, number>(),
    code: new Map(),
    provider: new Map(),
    type: new Map(),
    state: new Map(),
  }
  let total = 0
  for (const row of groups.values()) {
    if (row.n === 0) continue
    total += row.n
    for (const name of ['outcome', 'code', 'provider', 'type', 'state'] as const) {
      if (row[name] === '') continue
      const map = tally[name] as Map<string, number>
      map.set(row[name], (map.get(row[name]) ?? 0) + row.n)
    }
  }
  // Object.fromEntries defines own properties, so a type named "__proto__" is just a key.
  return {
    total,
    byOutcome: Object.fromEntries(tally.outcome),
    byCode: Object.fromEntries(tally.code),
    byProvider: Object.fromEntries(tally.provider),
    byType: Object.fromEntries(tally.type),
    byState: Object.fromEntries(tally.state),
  }
}

/** The counts columns of a record, '' for absent values. */
export function countColumns(record: {
  outcome: string
  code?: string | null
  provider: string
  type?: string | null
  state?: string | null
}): Omit<CountRow, 'n'> {
  return {
    outcome: record.outcome,
    code: record.code ?? '',
    provider: record.provider,
    type: record.type ?? '',
    state: record.state ?? '',
  }
}

/** Counts changes of one write/progress/purge, summed per (grain, bucket, key) before they reach the table. */
export class CountDeltas {
  readonly rows = new Map<string, { grain: number; bucket: number; columns: Omit<CountRow, 'n'>; n: number }>()

  add(receivedAt: number, columns: Omit<CountRow, 'n'>, n: number): void {
    const key = countKey(columns)
    for (const grain of GRAINS) {
      const bucket = receivedAt - (receivedAt % grain)
      const id = `${grain}:${bucket}:${key}`
      const seen = this.rows.get(id)
      if (seen) seen.n += n
      else this.rows.set(id, { grain, bucket, columns, n })
    }
  }

  /** The non-zero changes, in key order so concurrent writers lock counts rows in the same order. */
  changes(): Array<{ grain: number; bucket: number; columns: Omit<CountRow, 'n'>; n: number }> {
    return [...this.rows.entries()]
      .filter(([, row]) => row.n !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row)
  }
}
