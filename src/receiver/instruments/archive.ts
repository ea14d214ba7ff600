/**
 * Feeds the archive one record per request: what arrived (method, path,
 * redacted headers, the raw bytes) and what was answered. The recorder
 * batches writes off the response path.
 *
 * @module
 */
import type { HeaderRedactor } from '../../internal/headers.js'
import type { Instrument } from '../../pipeline/config.js'
import type { Delivery } from '../../pipeline/delivery.js'
import type { DeliveryRecord, HandleResult } from '../../types/index.js'

export interface RecordSink {
  record(record: DeliveryRecord): void
}

/** Path and query of a URL (full or already a path), without scheme and host. */
export function pathOf(url: string | undefined): string {
  if (!url) return ''
  if (url.startsWith('/')) return url
  const scheme = url.indexOf('://')
  if (scheme === -1) return url
  const slash = url.indexOf('/', scheme + 3)
  return slash === -1 ? '/' : url.slice(slash)
}

export function deliveryRecord(
  delivery: Delivery,
  result: HandleResult,
  durationMs: number,
  redactor: HeaderRedactor,
): DeliveryRecord {
  const outcome = result.outcome
  const event = delivery.event
  const record: DeliveryRecord = {
    deliveryId: delivery.deliveryId!,
    receivedAt: delivery.receivedAt,
    receiver: outcome.receiver,
    provider: outcome.provider,
    method: delivery.method,
    path: pathOf(delivery.url),
    headers: event?.headers ?? redactor.redact(delivery.headers),
    bodySize: delivery.body?.length ?? 0,
    truncated: false,
    status: result.status,
    outcome: outcome.kind,
    durationMs,
  }
  if (delivery.body) record.body = delivery.body
  if (outcome.kind === 'rejected' || outcome.kind === 'unavailable') {
    record.code = outcome.code
    if (outcome.reason !== undefined) record.reason = outcome.reason
  }
  if (event) {
    record.eventId = event.id
    record.key = event.key
    if (event.type !== undefined) record.type = event.type
  } else if (outcome.kind === 'handshake' && outcome.type !== undefined) record.type = outcome.type
  if (outcome.kind === 'accepted') record.state = 'pending'
  else if (outcome.kind === 'ignored') record.state = 'ignored'
  // Only verified requests are worth replaying; a forger's headers are not kept.
  const sealed = delivery.verification ? redactor.sealed(delivery.headers) : undefined
  if (sealed) record.sealedHeaders = sealed
  return record
}

export function archiveInstrument(sink: RecordSink, redactor: HeaderRedactor): Instrument {
  return {
    end(delivery, result, durationMs) {
      if (delivery.deliveryId === undefined) return
      sink.record(deliveryRecord(delivery, result, durationMs, redactor))
    },
  }
}
