/**
 * Internal: the checks every queue runs on an event before it accepts it,
 * and the dead-letter record built from a failed event.
 *
 * @module
 */
import { errorText } from '../../internal/log.js'
import type { DeadLetter, QueuedEvent, WebhookEvent } from '../../types/index.js'

function fail(where: string, message: string): never {
  throw new TypeError(`hookguard: ${where}: ${message}`)
}

function checkMeta(where: string, meta: unknown): void {
  if (meta === undefined) return
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta))
    fail(where, 'event.meta must be an object of string values')
  for (const value of Object.values(meta)) {
    if (typeof value !== 'string') fail(where, 'event.meta values must be strings')
  }
}

/** Refuses an event a queue could not store and give back unchanged. */
export function checkQueuedEvent(where: string, event: unknown): QueuedEvent {
  if (!event || typeof event !== 'object') fail(where, 'enqueue needs an event object')
  const e = event as Partial<QueuedEvent>
  if (typeof e.key !== 'string' || e.key === '') fail(where, 'event.key must be a non-empty string')
  if (typeof e.id !== 'string' || typeof e.provider !== 'string')
    fail(where, 'event.id and event.provider must be strings')
  if (typeof e.receivedAt !== 'number' || !Number.isFinite(e.receivedAt))
    fail(where, 'event.receivedAt must be a number (ms)')
  if (e.timestamp !== undefined && (typeof e.timestamp !== 'number' || !Number.isFinite(e.timestamp)))
    fail(where, 'event.timestamp must be a number (s)')
  if (e.type !== undefined && typeof e.type !== 'string') fail(where, 'event.type must be a string')
  if (e.deliveryId !== undefined && typeof e.deliveryId !== 'string') fail(where, 'event.deliveryId must be a string')
  if (e.headers !== undefined && (e.headers === null || typeof e.headers !== 'object'))
    fail(where, 'event.headers must be an object')
  checkMeta(where, e.meta)
  return e as QueuedEvent
}

/** The event without its attempt, as it goes back into a queue. */
export function queuedEvent(event: WebhookEvent): QueuedEvent {
  const { attempt: _attempt, ...queued } = event
  return queued
}

/** The dead-letter record of an event whose last attempt failed. */
export function deadLetter(event: WebhookEvent, error: unknown, failedAt: number): DeadLetter {
  return { key: event.key, event, error: errorText(error), attempts: event.attempt, failedAt }
}
