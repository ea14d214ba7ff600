/**
 * Synthetic archived deliveries for the archive benchmark: a realistic mix
 * of outcomes, codes, providers, types and worker states, spread over a time
 * span, generated in batches so a million never sit in memory at once.
 */
import { deliveryIdGenerator } from '../../src/internal/delivery-id.js'
import type { DeliveryRecord, DeliveryState, OutcomeKind } from '../../src/types/index.js'

const PROVIDERS = [
  [
    'stripe',
    0.6,
    ['invoice.paid', 'payment_intent.succeeded', 'customer.created', 'charge.refunded', 'checkout.session.completed'],
  ],
  ['github', 0.3, ['push', 'pull_request', 'issues', 'workflow_run', 'check_suite']],
  ['slack', 0.1, ['event_callback', 'block_actions', 'url_verification']],
] as const

const REJECT_CODES = ['signature.invalid', 'timestamp.out_of_range', 'signature.missing', 'header.malformed']

/** A deterministic generator, so every run archives the same data. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

export interface DatasetOptions {
  count: number
  /** First receivedAt, ms. */
  start: number
  /** Time the records spread over, ms. */
  spanMs: number
  bodyBytes: number
  batchSize: number
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!
}

function outcomeOf(roll: number): { outcome: OutcomeKind; status: number } {
  if (roll < 0.8) return { outcome: 'accepted', status: 200 }
  if (roll < 0.88) return { outcome: 'duplicate', status: 200 }
  if (roll < 0.94) return { outcome: 'rejected', status: 401 }
  if (roll < 0.95) return { outcome: 'unavailable', status: 503 }
  if (roll < 0.97) return { outcome: 'in_flight', status: 409 }
  if (roll < 0.99) return { outcome: 'ignored', status: 200 }
  return { outcome: 'handshake', status: 200 }
}

function stateOf(roll: number): DeliveryState {
  return roll < 0.95 ? 'handled' : roll < 0.97 ? 'dead' : roll < 0.99 ? 'retrying' : 'pending'
}

/** Batches of records, oldest first. */
export function* dataset(options: DatasetOptions): Generator<DeliveryRecord[]> {
  const next = random(42)
  const newId = deliveryIdGenerator()
  const body = new Uint8Array(options.bodyBytes).map((_, i) => 32 + (i % 90))
  let batch: DeliveryRecord[] = []
  for (let i = 0; i < options.count; i++) {
    const receivedAt = options.start + Math.floor((i / options.count) * options.spanMs)
    const p = next()
    const [provider, , types] = p < 0.6 ? PROVIDERS[0] : p < 0.9 ? PROVIDERS[1] : PROVIDERS[2]
    const { outcome, status } = outcomeOf(next())
    const record: DeliveryRecord = {
      deliveryId: newId(receivedAt),
      receivedAt,
      receiver: 'default',
      provider,
      method: 'POST',
      path: `/webhooks/${provider}`,
      headers: {
        host: 'hooks.example.com',
        'user-agent': `${provider}-webhooks/1.0`,
        'content-type': 'application/json',
        'content-length': String(options.bodyBytes),
        [`${provider}-signature`]: '[redacted]',
        'x-request-id': `req_${i.toString(36)}`,
        'accept-encoding': 'gzip',
      },
      body,
      bodySize: options.bodyBytes,
      truncated: false,
      status,
      outcome,
      durationMs: 0.8 + next() * 3,
    }
    if (outcome === 'rejected' || outcome === 'unavailable') {
      record.code = outcome === 'rejected' ? pick(next, REJECT_CODES) : 'store.unavailable'
      record.reason = 'no signature matched'
    } else {
      record.eventId = `evt_${i.toString(36)}`
      record.key = `${provider}:default:${record.eventId}`
      record.type = pick(next, types)
      if (outcome === 'accepted') {
        record.state = stateOf(next())
        record.attempts = record.state === 'dead' ? 5 : 1
        record.updatedAt = receivedAt + 40
      }
    }
    batch.push(record)
    if (batch.length === options.batchSize) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}
