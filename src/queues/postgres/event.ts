/**
 * Internal: the event as a pg-boss job's `data` (jsonb), and back.
 *
 * jsonb refuses `\u0000` and lone surrogates, which a parsed webhook payload
 * may carry; such an event is stored as base64 of its JSON text instead, so
 * it comes back unchanged. Either way objects come back with jsonb's key
 * order.
 *
 * @module
 */
import type { QueuedEvent, WebhookEvent } from '../../types/index.js'

/** What hookguard stores as a job's data: the event, or its JSON text in base64 when jsonb cannot hold it. */
export interface JobData {
  v: 1
  event?: QueuedEvent
  raw?: string
}

// JSON.stringify escapes NUL and lone surrogates, and only those, as \u escapes.
const UNSAFE_FOR_JSONB = /\\u0000|\\u[dD][89a-fA-F]/

/** The job data, as JSON text for a `$n::jsonb` parameter. */
export function encodeJobData(event: QueuedEvent): string {
  const text = JSON.stringify(event)
  if (!UNSAFE_FOR_JSONB.test(text)) return `{"v":1,"event":${text}}`
  return JSON.stringify({ v: 1, raw: Buffer.from(text, 'utf8').toString('base64') })
}

/** Throws when the data is not a hookguard event (someone else's job, or a damaged row). */
export function decodeJobData(data: unknown, attempt: number): WebhookEvent {
  const d = data as Partial<JobData> | null
  if (!d || d.v !== 1) throw new Error('job data is not a hookguard event')
  const event =
    d.raw !== undefined ? (JSON.parse(Buffer.from(d.raw, 'base64').toString('utf8')) as QueuedEvent) : d.event
  if (!event || typeof event.key !== 'string') throw new Error('job data is not a hookguard event')
  return Object.assign({}, event, { attempt })
}

/** A job's `output` for an error text; jsonb refuses NUL and lone surrogates, so they become U+FFFD. */
export function errorOutput(text: string): string {
  return JSON.stringify({ message: text.toWellFormed().replaceAll('\u0000', '\uFFFD') })
}
