/**
 * Internal: run a function after this turn's I/O (`setImmediate`), or on the
 * next timer tick where there is none (Workers, browsers).
 *
 * @module
 */

export const afterIo: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0)
