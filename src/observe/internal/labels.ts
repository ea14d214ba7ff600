/**
 * Internal: the labels (Prometheus) and attributes (OpenTelemetry) of one
 * answered delivery, with bounded cardinality: `outcome` and `code` come
 * from fixed sets, `provider` from configuration, and `receiver` — which a
 * `name` function may derive per request (per tenant) — is capped.
 *
 * @module
 */
import { ERROR_CODES } from '../../errors.js'
import { configError } from '../../errors.js'
import type { Outcome } from '../../types/index.js'

/** The label every value outside a fixed set (or past the receiver cap) is reported as. */
export const OTHER = 'other'

/** Default of `maxReceivers`. */
export const DEFAULT_MAX_RECEIVERS = 100

export interface DeliveryLabels {
  provider: string
  receiver: string
  outcome: Outcome['kind']
  /** The hookguard error code of a refused delivery; '' for one that was not refused. */
  code: string
}

/** The error code an outcome answers with, from the fixed set of ERROR_CODES; '' when there is none. */
export function codeOf(outcome: Outcome): string {
  if (outcome.kind === 'in_flight') return 'event.in_flight'
  if (outcome.kind !== 'rejected' && outcome.kind !== 'unavailable') return ''
  return Object.hasOwn(ERROR_CODES, outcome.code) ? outcome.code : OTHER
}

/** Checks a `maxReceivers` option. */
export function maxReceiversOption(where: string, value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_RECEIVERS
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw configError(`${where}: maxReceivers must be an integer >= 1 (receiver names past it are reported as 'other')`)
  return value
}

/**
 * Receiver names seen so far, at most `max` of them. Past the cap a new name
 * is reported as {@link OTHER}, so per-tenant names cannot grow a series per
 * tenant without bound.
 */
export class ReceiverNames {
  private readonly seen = new Set<string>()

  constructor(private readonly max: number) {}

  label(receiver: string): string {
    if (this.seen.has(receiver)) return receiver
    if (this.seen.size >= this.max) return OTHER
    this.seen.add(receiver)
    return receiver
  }
}

export function deliveryLabels(outcome: Outcome, receivers: ReceiverNames): DeliveryLabels {
  return {
    provider: outcome.provider,
    receiver: receivers.label(outcome.receiver),
    outcome: outcome.kind,
    code: codeOf(outcome),
  }
}
