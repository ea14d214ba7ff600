/**
 * Internal: histogram buckets, in seconds, shared by the Prometheus and
 * OpenTelemetry implementations.
 *
 * @module
 */
import { configError } from '../../errors.js'

/** Receiving is millisecond work (verify, one store call, one enqueue): fine buckets from 0.5 ms to 5 s. */
export const RECEIVE_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
]

/** Handlers do the app's I/O: 5 ms to 1 min. */
export const HANDLER_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

/** Lag includes retry backoff (up to 5 min a step by default): 10 ms to 1 h. */
export const LAG_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]

/** Histogram buckets (upper bounds, seconds) of each histogram. */
export interface BucketOptions {
  /** `receive.duration`. @default 0.0005 … 5 s (13 buckets) */
  receive?: readonly number[]
  /** `handler.duration`. @default 0.005 … 60 s (13 buckets) */
  handler?: readonly number[]
  /** `queue.lag`. @default 0.01 … 3600 s (12 buckets) */
  lag?: readonly number[]
}

function checked(where: string, name: string, value: unknown, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback]
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((b, i) => typeof b === 'number' && Number.isFinite(b) && b > 0 && (i === 0 || b > value[i - 1]))
  if (!ok) throw configError(`${where}: buckets.${name} must be increasing positive numbers (seconds)`)
  return [...(value as number[])]
}

export function resolveBuckets(where: string, value: unknown): Required<{ [K in keyof BucketOptions]: number[] }> {
  if (value !== undefined && (value === null || typeof value !== 'object'))
    throw configError(`${where}: buckets must be an object { receive?, handler?, lag? }`)
  const b = (value ?? {}) as BucketOptions
  return {
    receive: checked(where, 'receive', b.receive, RECEIVE_BUCKETS),
    handler: checked(where, 'handler', b.handler, HANDLER_BUCKETS),
    lag: checked(where, 'lag', b.lag, LAG_BUCKETS),
  }
}
