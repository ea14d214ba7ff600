/**
 * Internal: marks a store or queue that works in this process without I/O
 * (the memory ones). It cannot stall on a network, so the receiver skips the
 * time budget (and its timer) around its calls.
 *
 * @module
 */
export const IN_PROCESS = Symbol.for('hookguard.inProcess')

export function isInProcess(component: object): boolean {
  return (component as Record<symbol, unknown>)[IN_PROCESS] === true
}
