/**
 * Internal: how the pipeline turns what a step threw into a HookguardError.
 *
 * @module
 */
import { HookguardError, isHookguardError, type HookguardErrorCode } from '../errors.js'

/** `error` itself when it is a HookguardError, else `fallback` with the error's name as the reason. */
export function asHookguardError(error: unknown, fallback: HookguardErrorCode, reason: string): HookguardError {
  if (isHookguardError(error)) return error
  return new HookguardError(fallback, {
    reason: `${reason}: ${error instanceof Error ? error.name : typeof error}`,
    cause: error,
  })
}

/** Carries an inline handler's own error past the pipeline's error mapping, to be rethrown to the caller. */
export class DeliveryFailed extends Error {
  constructor(readonly original: unknown) {
    super('inline delivery failed')
  }
}
