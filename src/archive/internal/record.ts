/**
 * Internal: strict checks of what is written to an archive — records and
 * progress updates — so every archive stores the same clean shape and a bad
 * record fails loudly at `write()` instead of corrupting a table.
 *
 * @module
 */
import type { DeliveryProgress, DeliveryRecord, DeliveryState } from '../../types/index.js'

export const DELIVERY_STATES: ReadonlySet<DeliveryState> = new Set<DeliveryState>([
  'pending',
  'retrying',
  'handled',
  'dead',
  'discarded',
  'ignored',
  'stale',
])

/** Delivery ids: the receiver's 26-character ids, or any id of a custom writer made of these characters. */
export const DELIVERY_ID = /^[0-9A-Za-z][0-9A-Za-z_.:-]{0,127}$/
/** Outcome kinds are short snake_case words (`accepted`, `in_flight` …); the set may grow. */
export const OUTCOME = /^[a-z][a-z_]{0,31}$/

const STRING_FIELDS = ['code', 'reason', 'eventId', 'key', 'type', 'replayOf', 'lastError'] as const

function fail(where: string, what: string): never {
  throw new TypeError(`hookguard: ${where}: ${what}`)
}

function isMs(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER
}

function checkHeaders(where: string, headers: unknown, field = 'headers'): Record<string, string> {
  if (!headers || typeof headers !== 'object' || Array.isArray(headers))
    fail(where, `record.${field} must be an object`)
  for (const name in headers) {
    if (typeof (headers as Record<string, unknown>)[name] !== 'string')
      fail(where, `record.${field}[${JSON.stringify(name)}] must be a string`)
  }
  return headers as Record<string, string>
}

function checkRequired(where: string, r: Partial<DeliveryRecord>): void {
  if (typeof r.deliveryId !== 'string' || !DELIVERY_ID.test(r.deliveryId))
    fail(where, 'record.deliveryId must be 1-128 characters of [0-9A-Za-z_.:-] (use newDeliveryId)')
  if (!isMs(r.receivedAt)) fail(where, 'record.receivedAt must be ms since the epoch')
  for (const name of ['receiver', 'provider', 'method', 'path'] as const)
    if (typeof r[name] !== 'string') fail(where, `record.${name} must be a string`)
  if (typeof r.outcome !== 'string' || !OUTCOME.test(r.outcome))
    fail(where, 'record.outcome must be an outcome kind such as accepted or rejected')
  if (!Number.isInteger(r.status) || r.status! < 100 || r.status! > 599)
    fail(where, 'record.status must be an HTTP status')
  if (!Number.isSafeInteger(r.bodySize) || r.bodySize! < 0) fail(where, 'record.bodySize must be an integer >= 0')
  if (typeof r.truncated !== 'boolean') fail(where, 'record.truncated must be a boolean')
  if (!isMs(r.durationMs)) fail(where, 'record.durationMs must be a number >= 0')
  if (r.body !== undefined) {
    if (!(r.body instanceof Uint8Array)) fail(where, 'record.body must be a Uint8Array or absent')
    if (r.body.length > r.bodySize!) fail(where, 'record.bodySize must be at least body.length')
  }
}

function checkOptional(where: string, r: Partial<DeliveryRecord>): void {
  for (const name of STRING_FIELDS)
    if (r[name] !== undefined && typeof r[name] !== 'string') fail(where, `record.${name} must be a string or absent`)
  if (r.verified !== undefined && typeof r.verified !== 'boolean')
    fail(where, 'record.verified must be a boolean or absent')
  if (r.state !== undefined && !DELIVERY_STATES.has(r.state))
    fail(where, `record.state must be one of ${[...DELIVERY_STATES].join(', ')}`)
  if (r.attempts !== undefined && (!Number.isSafeInteger(r.attempts) || r.attempts < 0))
    fail(where, 'record.attempts must be an integer >= 0 or absent')
  if (r.updatedAt !== undefined && !isMs(r.updatedAt))
    fail(where, 'record.updatedAt must be ms since the epoch or absent')
}

/**
 * A checked copy of a record holding only the contract's fields (times in
 * whole ms). The body and headers objects are the caller's: the policy
 * copies the body where needed, and an archive that keeps objects copies headers.
 * @throws TypeError naming the first bad field.
 */
export function checkRecord(where: string, value: unknown): DeliveryRecord {
  if (!value || typeof value !== 'object') fail(where, 'a record must be an object')
  const r = value as Partial<DeliveryRecord>
  checkRequired(where, r)
  checkOptional(where, r)
  const record: DeliveryRecord = {
    deliveryId: r.deliveryId!,
    receivedAt: Math.floor(r.receivedAt!),
    receiver: r.receiver!,
    provider: r.provider!,
    method: r.method!,
    path: r.path!,
    headers: checkHeaders(where, r.headers),
    bodySize: r.bodySize!,
    truncated: r.truncated!,
    status: r.status!,
    outcome: r.outcome!,
    durationMs: r.durationMs!,
  }
  if (r.body !== undefined) record.body = r.body
  if (r.sealedHeaders !== undefined) record.sealedHeaders = checkHeaders(where, r.sealedHeaders, 'sealedHeaders')
  for (const name of STRING_FIELDS) if (r[name] !== undefined) record[name] = r[name]
  if (r.verified !== undefined) record.verified = r.verified
  if (r.state !== undefined) record.state = r.state
  if (r.attempts !== undefined) record.attempts = r.attempts
  if (r.updatedAt !== undefined) record.updatedAt = Math.floor(r.updatedAt)
  return record
}

/** A checked copy of a progress update. @throws TypeError naming the first bad field. */
export function checkProgress(where: string, value: unknown): DeliveryProgress {
  if (!value || typeof value !== 'object') fail(where, 'a progress update must be an object')
  const u = value as Partial<DeliveryProgress>
  if (typeof u.deliveryId !== 'string' || u.deliveryId === '')
    fail(where, 'update.deliveryId must be a non-empty string')
  if (u.state === undefined || !DELIVERY_STATES.has(u.state))
    fail(where, `update.state must be one of ${[...DELIVERY_STATES].join(', ')}`)
  if (!Number.isSafeInteger(u.attempts) || u.attempts! < 0) fail(where, 'update.attempts must be an integer >= 0')
  if (u.lastError !== undefined && typeof u.lastError !== 'string')
    fail(where, 'update.lastError must be a string or absent')
  if (!isMs(u.at)) fail(where, 'update.at must be ms since the epoch')
  const update: DeliveryProgress = {
    deliveryId: u.deliveryId,
    state: u.state,
    attempts: u.attempts!,
    at: Math.floor(u.at),
  }
  if (u.lastError !== undefined) update.lastError = u.lastError
  return update
}

/**
 * One update per delivery, the latest by `at` (the later call on a tie), for
 * archives that apply a batch in one statement. Archives apply an update
 * only when its `at` is not older than the record's `updatedAt`, so a late,
 * out-of-order update never overwrites a newer state.
 */
export function lastPerDelivery(updates: readonly DeliveryProgress[]): DeliveryProgress[] {
  const last = new Map<string, DeliveryProgress>()
  for (const update of updates) {
    const seen = last.get(update.deliveryId)
    if (seen && update.at < seen.at) continue
    // An update without an error keeps the last error known (see applyProgress).
    if (seen?.lastError !== undefined && update.lastError === undefined)
      last.set(update.deliveryId, Object.assign({}, update, { lastError: seen.lastError }))
    else last.set(update.deliveryId, update)
  }
  return [...last.values()]
}

/** Check a batch argument of write()/progress(). */
export function checkBatch(where: string, batch: unknown): readonly unknown[] {
  if (!Array.isArray(batch)) fail(where, 'expects an array')
  return batch
}
