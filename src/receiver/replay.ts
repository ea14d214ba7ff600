/**
 * `receiver.replay(deliveryId)`: run an archived delivery again. The bytes
 * are verified again with today's secrets at the recorded clock (so a
 * 3-day-old Stripe delivery still verifies), then enqueued as a deliberate
 * new run under its own key, past the completed dedupe state. The run gets
 * its own archive record, linked to the original by `replayOf`.
 *
 * @module
 */
import { HookguardError, isHookguardError } from '../errors.js'
import { REDACTED } from '../internal/headers.js'
import { begin } from '../pipeline/begin.js'
import { within } from '../pipeline/budget.js'
import type { ReceiverConfig } from '../pipeline/config.js'
import type { Delivery } from '../pipeline/delivery.js'
import { describe } from '../pipeline/describe.js'
import { identify } from '../pipeline/identify.js'
import { read } from '../pipeline/read.js'
import { verify } from '../pipeline/verify.js'
import type { DeliveryArchive, DeliveryRecord, QueuedEvent, Verification } from '../types/index.js'

export interface ReplayOptions {
  /**
   * Verify the archived bytes again before running them. `false` skips it
   * (recorded as `verified: false` on the new record): for deliveries whose
   * credentials are not archived, such as GitLab's token.
   * @default true
   */
  verify?: boolean
}

export interface ReplayResult {
  /** The new archive record of this run. */
  deliveryId: string
  replayOf: string
  /** The queue key of this run: the event's key plus `#replay:<deliveryId>`. */
  key: string
  eventId: string
  verified: boolean
}

const SIGNATURE_CODES = new Set([
  'signature.missing',
  'signature.invalid',
  'signature.malformed',
  'timestamp.missing',
  'timestamp.malformed',
  'timestamp.out_of_range',
])

function refuse(reason: string): HookguardError {
  return new HookguardError('delivery.not_replayable', { reason })
}

async function archived(archive: DeliveryArchive, config: ReceiverConfig, deliveryId: string): Promise<DeliveryRecord> {
  const record = typeof deliveryId === 'string' && deliveryId !== '' ? await archive.get(deliveryId) : undefined
  if (!record) throw new HookguardError('delivery.not_found', { reason: `no archived delivery ${String(deliveryId)}` })
  if (record.provider !== config.provider.name)
    throw refuse(`delivery ${deliveryId} came from ${record.provider}, not ${config.provider.name}`)
  if (record.code !== undefined && SIGNATURE_CODES.has(record.code)) {
    throw refuse(`delivery ${deliveryId} was rejected for its signature (${record.code}); it is not authentic`)
  }
  if (!record.body || record.truncated || record.body.length !== record.bodySize) {
    throw refuse(`delivery ${deliveryId}'s body is not archived in full`)
  }
  return record
}

function requestOf(record: DeliveryRecord): {
  method: string
  url: string
  headers: Record<string, string>
  body: Uint8Array
} {
  const headers = { ...record.headers, ...record.sealedHeaders }
  const host = headers.host
  const proto = headers['x-forwarded-proto'] === 'http' ? 'http' : 'https'
  return {
    method: record.method,
    url: host ? `${proto}://${host}${record.path}` : record.path,
    headers,
    body: record.body!,
  }
}

async function verifyAgain(config: ReceiverConfig, delivery: Delivery, record: DeliveryRecord): Promise<Verification> {
  try {
    return await verify(config, delivery)
  } catch (error) {
    const unsealed = Object.entries(record.headers).some(
      ([name, value]) => value === REDACTED && !record.sealedHeaders?.[name],
    )
    throw refuse(
      unsealed
        ? `delivery ${record.deliveryId} cannot be verified again: its credentials are not archived (replay with { verify: false })`
        : `delivery ${record.deliveryId} no longer verifies with the current secrets (${isHookguardError(error) ? error.code : 'error'})`,
    )
  }
}

export async function replay(
  config: ReceiverConfig,
  archive: DeliveryArchive,
  deliveryId: string,
  options: ReplayOptions = {},
): Promise<{ result: ReplayResult; delivery: Delivery; event: QueuedEvent }> {
  const check = options.verify ?? true
  const record = await archived(archive, config, deliveryId)
  const request = requestOf(record)
  const delivery = begin(config, request.method, request.url)
  const now = delivery.receivedAt
  // Verified at the clock it arrived on: the timestamp window applies to then, not now.
  delivery.receivedAt = record.receivedAt
  read(config, delivery, request)
  // Unverified, the ids a provider reads from headers come from the record instead.
  const verification: Verification = check
    ? await verifyAgain(config, delivery, record)
    : { id: record.eventId, type: record.type }
  if (!check)
    delivery.request = {
      method: delivery.method,
      url: delivery.url,
      headers: delivery.headers,
      body: delivery.body!,
      now: record.receivedAt,
    }
  const described = await describe(config, delivery, verification)
  if (described.description.handshake) throw refuse(`delivery ${deliveryId} is a handshake`)
  delivery.receivedAt = now
  const event = await identify(config, delivery, verification, described)
  event.key = `${event.key}#replay:${delivery.deliveryId}`
  event.meta = { ...event.meta, replayOf: record.deliveryId }
  await within(config.queue.enqueue(event), config.queueBudgetMs)
  const result: ReplayResult = {
    deliveryId: delivery.deliveryId!,
    replayOf: record.deliveryId,
    key: event.key,
    eventId: event.id,
    verified: check,
  }
  return { result, delivery, event }
}
