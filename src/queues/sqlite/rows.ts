/**
 * Internal: how an event becomes a row and a row an event again.
 *
 * @module
 */
import type { QueuedEvent, WebhookEvent } from '../../types/index.js'

/** A job row as the worker and the dead-letter list read it. */
export interface JobRow {
  id: number
  key: string
  event_id: string
  provider: string
  type: string | null
  timestamp: number | null
  received_at: number
  payload: string
  headers: string
  delivery_id: string | null
  meta: string | null
  attempt: number
}

/** The columns of {@link JobRow}, for SELECT and RETURNING lists. */
export const JOB_COLUMNS =
  'id, key, event_id, provider, type, timestamp, received_at, payload, headers, delivery_id, meta, attempt'

/** The named parameters of an insert. */
export interface InsertRow {
  key: string
  eventId: string
  provider: string
  type: string | null
  timestamp: number | null
  receivedAt: number
  payload: string
  headers: string
  deliveryId: string | null
  meta: string | null
  now: number
}

/** Throws when a stored payload or header set no longer parses: such a row is dead-lettered at once. */
export function toEvent(row: JobRow): WebhookEvent {
  const event: WebhookEvent = {
    id: row.event_id,
    key: row.key,
    provider: row.provider,
    receivedAt: row.received_at,
    payload: JSON.parse(row.payload),
    headers: JSON.parse(row.headers),
    attempt: row.attempt,
  }
  if (row.type !== null) event.type = row.type
  if (row.timestamp !== null) event.timestamp = row.timestamp
  if (row.delivery_id !== null) event.deliveryId = row.delivery_id
  if (row.meta !== null) event.meta = JSON.parse(row.meta) as Record<string, string>
  return event
}

/** The row of a checked event. */
export function toRow(event: QueuedEvent, now: number): InsertRow {
  return {
    key: event.key,
    eventId: event.id,
    provider: event.provider,
    type: event.type ?? null,
    timestamp: event.timestamp ?? null,
    receivedAt: event.receivedAt,
    payload: JSON.stringify(event.payload ?? null),
    headers: JSON.stringify(event.headers ?? {}),
    deliveryId: event.deliveryId ?? null,
    meta: event.meta === undefined ? null : JSON.stringify(event.meta),
    now,
  }
}
