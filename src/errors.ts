/**
 * The one error class hookguard throws for request-level failures, with a
 * stable dotted `code`. Messages are fixed strings: they never contain a
 * secret, a received or computed signature, or request data.
 *
 * @module
 */

/** Every code hookguard can produce, with the HTTP status it maps to. */
export const ERROR_CODES = {
  'method.not_allowed': 405,
  'body.too_large': 413,
  'body.timeout': 408,
  'body.aborted': 400,
  'body.encoding_unsupported': 415,
  'body.consumed': 500,
  'body.malformed': 400,
  'payload.invalid': 400,
  'header.malformed': 400,
  'header.duplicated': 400,
  'header.conflict': 400,
  'id.missing': 400,
  'id.invalid': 400,
  'signature.missing': 401,
  'signature.malformed': 400,
  'signature.invalid': 401,
  'timestamp.missing': 401,
  'timestamp.malformed': 400,
  'timestamp.out_of_range': 401,
  'event.in_flight': 409,
  'store.unavailable': 503,
  'store.timeout': 503,
  'queue.unavailable': 503,
  'queue.timeout': 503,
  'receiver.closed': 503,
  'certificate.unavailable': 503,
  'secret.unavailable': 503,
  'receiver.misconfigured': 500,
  'handler.failed': 500,
  'delivery.not_found': 404,
  'delivery.not_replayable': 409,
} as const

export type HookguardErrorCode = keyof typeof ERROR_CODES

/** Short fixed public messages; the detailed reason stays in `reason`. */
const MESSAGES: Record<HookguardErrorCode, string> = {
  'method.not_allowed': 'Method not allowed',
  'body.too_large': 'Request body too large',
  'body.timeout': 'Request body not received in time',
  'body.aborted': 'Request aborted',
  'body.encoding_unsupported': 'Unsupported content encoding',
  'body.consumed': 'Webhook receiver misconfigured',
  'body.malformed': 'Malformed request body',
  'payload.invalid': 'Payload failed validation',
  'header.malformed': 'Malformed request header',
  'header.duplicated': 'Duplicated request header',
  'header.conflict': 'Conflicting request headers',
  'id.missing': 'Missing event id',
  'id.invalid': 'Invalid event id',
  'signature.missing': 'Webhook verification failed',
  'signature.malformed': 'Malformed signature header',
  'signature.invalid': 'Webhook verification failed',
  'timestamp.missing': 'Webhook verification failed',
  'timestamp.malformed': 'Malformed timestamp header',
  'timestamp.out_of_range': 'Webhook verification failed',
  'event.in_flight': 'Event is being processed; retry later',
  'store.unavailable': 'Service unavailable; retry later',
  'store.timeout': 'Service unavailable; retry later',
  'queue.unavailable': 'Service unavailable; retry later',
  'queue.timeout': 'Service unavailable; retry later',
  'receiver.closed': 'Service unavailable; retry later',
  'certificate.unavailable': 'Service unavailable; retry later',
  'secret.unavailable': 'Service unavailable; retry later',
  'receiver.misconfigured': 'Webhook receiver misconfigured',
  'handler.failed': 'Internal error',
  'delivery.not_found': 'No archived delivery with this id',
  'delivery.not_replayable': 'This delivery cannot be replayed',
}

const BRAND = Symbol.for('hookguard.error')

export interface HookguardErrorOptions {
  /** Why, for logs and hooks. Must never contain a secret or a signature. @default none */
  reason?: string
  /** Response headers that go with this error (for example `retry-after`). @default {} */
  headers?: Record<string, string>
  /** The underlying error, kept as `error.cause` (never sent to the client). @default none */
  cause?: unknown
}

/**
 * A request-level failure. `status` is the HTTP status, `expose` says whether
 * `message` may be shown to the client (always a fixed, generic string).
 */
export class HookguardError extends Error {
  readonly code: HookguardErrorCode
  readonly status: number
  readonly statusCode: number
  readonly expose: boolean
  readonly reason: string | undefined
  readonly headers: Record<string, string>
  declare readonly [BRAND]: true

  constructor(code: HookguardErrorCode, options: HookguardErrorOptions = {}) {
    // A rejection is an answer, not a bug: its stack is never shown, and capturing one cost more than the
    // failed check itself on a flood of forged deliveries (seen in profiles). `code` and `reason` say where.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      super(MESSAGES[code], options.cause === undefined ? undefined : { cause: options.cause })
    } finally {
      Error.stackTraceLimit = stackTraceLimit
    }
    this.name = 'HookguardError'
    this.code = code
    this.status = ERROR_CODES[code]
    this.statusCode = this.status
    this.expose = this.status < 500 || this.status === 503
    this.reason = options.reason
    this.headers = options.headers ?? {}
  }
}
// On the prototype: one property for every instance, not one defined per error.
Object.defineProperty(HookguardError.prototype, BRAND, { value: true })

/**
 * Brand check that works across copies of the package (unlike `instanceof`).
 *
 * @example
 * ```ts
 * import { isHookguardError } from 'hookguard'
 *
 * export function statusOf(error: unknown): number {
 *   // error.code is the stable dotted code ('signature.invalid' …); error.reason says why, for logs only.
 *   return isHookguardError(error) ? error.status : 500
 * }
 * ```
 */
export function isHookguardError(value: unknown): value is HookguardError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}

/** Configuration mistakes are programming errors: thrown at construction. */
export function configError(message: string): TypeError {
  return new TypeError(`hookguard: ${message}`)
}
