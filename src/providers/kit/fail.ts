/**
 * The request-level failures providers raise, with fixed public messages.
 *
 * @module
 */
import { HookguardError } from '../../errors.js'

/** 401 signature.invalid; `reason` goes to logs and hooks only. */
export function invalidSignature(reason = 'no signature matched'): HookguardError {
  return new HookguardError('signature.invalid', { reason })
}

/** 400 signature.malformed. */
export function malformedSignature(reason: string): HookguardError {
  return new HookguardError('signature.malformed', { reason })
}

/** At most this many signature entries in one header: more is malformed, not slow. */
export const MAX_SIGNATURE_ENTRIES = 32
