/**
 * The options every adapter shares, validated the same way everywhere.
 *
 * @module
 */
import { configError } from '../errors.js'
import {
  createReceiver,
  INLINE_ONLY,
  isReceiver,
  type Receiver,
  type ReceiverOptions,
  type ReceiverOrOptions,
} from '../receiver/index.js'
import type { Provider } from '../types/index.js'

/** Default deadline for the whole request body, ms. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000

/** Options every adapter takes. */
export interface BaseAdapterOptions {
  /** How long the whole body may take to arrive before the request gets 408, ms. @default 10000 */
  bodyTimeoutMs?: number
}

/** `receiver` itself when it is one, otherwise `createReceiver(receiverOrOptions)`. */
export function toReceiver<P extends Provider, T>(
  where: string,
  receiverOrOptions: ReceiverOrOptions<P, T>,
  inline = false,
): Receiver<T> {
  if (isReceiver(receiverOrOptions)) return receiverOrOptions as Receiver<T>
  if (!receiverOrOptions || typeof receiverOrOptions !== 'object') {
    throw configError(
      `${where}: pass a receiver from createReceiver() or receiver options such as { provider: stripe({ secret }) }`,
    )
  }
  // Inline mode hands events to the app's next handler: no "nothing runs them" warning for it.
  const options = inline ? Object.assign({}, receiverOrOptions, { [INLINE_ONLY]: true }) : receiverOrOptions
  return createReceiver(options as ReceiverOptions) as Receiver<T>
}

/** Validates the options all adapters share; returns the body deadline. */
export function bodyTimeout(where: string, options: BaseAdapterOptions): number {
  if (!options || typeof options !== 'object') throw configError(`${where}: adapter options must be an object`)
  const value = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw configError(
      `${where}: bodyTimeoutMs must be a positive integer of milliseconds (got ${String(options.bodyTimeoutMs)})`,
    )
  }
  return value
}

/** Validates an enumerated adapter option. */
export function oneOf<T extends string>(
  where: string,
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback
  if (!allowed.includes(value as T))
    throw configError(
      `${where}: ${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${String(value)})`,
    )
  return value as T
}

/** Validates a boolean adapter option. */
export function flag(where: string, name: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw configError(`${where}: ${name} must be a boolean (got ${String(value)})`)
  return value
}
