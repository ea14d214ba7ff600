/**
 * Internal: errors an archive has already logged (a missing table names its
 * migration once), so the recorder counts them without logging them again.
 *
 * @module
 */
const REPORTED = Symbol.for('hookguard.archive.reported')

/** Marks an error as already logged. */
export function reported<E extends Error>(error: E): E {
  Object.defineProperty(error, REPORTED, { value: true })
  return error
}

export function isReported(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[REPORTED] === true
}
