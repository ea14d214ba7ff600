/**
 * Internal: the CLI's exit codes and the two errors that choose between
 * them. Every message is one line and never contains a secret.
 *
 * @module
 */

/** Exit codes, documented in `hookguard --help`. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The operation ran and failed: not found, refused, non-2xx answer, service down. */
  failed: 1,
  /** Bad input: unknown command or option, missing or malformed value. */
  usage: 2,
} as const

/** Bad input or usage: exit 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The operation failed: exit 1. */
export class OperationError extends Error {
  override name = 'OperationError'
}
