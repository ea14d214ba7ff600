/**
 * Internal: the record ⇄ row mapping shared by the SQL archives. Both use
 * the same snake_case column names; the drivers differ only in how they
 * return numbers (pg: bigint as text), booleans (SQLite: 0/1) and JSON.
 *
 * @module
 */
import type { DeliveryRecord, DeliveryState, DeliverySummary } from '../../types/index.js'

/** Record fields and their columns, body excluded. */
export const SUMMARY_FIELDS = [
  ['deliveryId', 'delivery_id'],
  ['receivedAt', 'received_at'],
  ['receiver', 'receiver'],
  ['provider', 'provider'],
  ['method', 'method'],
  ['path', 'path'],
  ['headers', 'headers'],
  ['bodySize', 'body_size'],
  ['truncated', 'truncated'],
  ['status', 'status'],
  ['outcome', 'outcome'],
  ['code', 'code'],
  ['reason', 'reason'],
  ['durationMs', 'duration_ms'],
  ['eventId', 'event_id'],
  ['key', 'key'],
  ['type', 'type'],
  ['replayOf', 'replay_of'],
  ['verified', 'verified'],
  ['state', 'state'],
  ['attempts', 'attempts'],
  ['lastError', 'last_error'],
  ['updatedAt', 'updated_at'],
] as const

/**
 * Every column of the records table, in insert order: the summary, then the
 * sealed signature headers and the body, which only `get()` returns.
 */
export const ALL_COLUMNS: readonly string[] = [...SUMMARY_FIELDS.map(([, column]) => column), 'sealed_headers', 'body']

/** The SELECT list of `get()`. */
export const RECORD_SELECT = `${SUMMARY_FIELDS.map(([, column]) => column).join(', ')}, sealed_headers, body`

/** The SELECT list of `list()` (no body). */
export const SUMMARY_SELECT = SUMMARY_FIELDS.map(([, column]) => column).join(', ')

export type Row = Record<string, unknown>

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value))

function optional(summary: DeliverySummary, row: Row): void {
  const text = (column: string): string | undefined => (row[column] == null ? undefined : String(row[column]))
  const set = <K extends keyof DeliverySummary>(field: K, value: DeliverySummary[K] | undefined): void => {
    if (value !== undefined) summary[field] = value
  }
  set('code', text('code'))
  set('reason', text('reason'))
  set('eventId', text('event_id'))
  set('key', text('key'))
  set('type', text('type'))
  set('replayOf', text('replay_of'))
  set('verified', row.verified == null ? undefined : Boolean(row.verified))
  set('state', text('state') as DeliveryState | undefined)
  set('attempts', row.attempts == null ? undefined : num(row.attempts))
  set('lastError', text('last_error'))
  set('updatedAt', row.updated_at == null ? undefined : num(row.updated_at))
}

/** A list item from a row. */
export function rowToSummary(row: Row): DeliverySummary {
  const headers = typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers
  const summary: DeliverySummary = {
    deliveryId: String(row.delivery_id),
    receivedAt: num(row.received_at),
    receiver: String(row.receiver),
    provider: String(row.provider),
    method: String(row.method),
    path: String(row.path),
    headers: headers as Record<string, string>,
    bodySize: num(row.body_size),
    truncated: Boolean(row.truncated),
    status: num(row.status),
    outcome: String(row.outcome) as DeliverySummary['outcome'],
    durationMs: num(row.duration_ms),
  }
  optional(summary, row)
  return summary
}

/** A full record from a row with its body (drivers return a Buffer; callers get a plain Uint8Array view). */
export function rowToRecord(row: Row): DeliveryRecord {
  const record: DeliveryRecord = rowToSummary(row)
  const sealed = row.sealed_headers
  if (sealed != null) record.sealedHeaders = typeof sealed === 'string' ? JSON.parse(sealed) : sealed
  const body = row.body as Uint8Array | null | undefined
  if (body != null) record.body = new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
  return record
}
