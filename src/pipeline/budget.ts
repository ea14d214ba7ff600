/**
 * Time budgets for store and queue calls: past the budget the request gets
 * a 503 instead of hanging. In-process stores and queues (memory) do no I/O
 * and cannot stall, so their calls skip the timer altogether.
 *
 * @module
 */

/** Thrown when a budget runs out. */
export class BudgetExceeded extends Error {
  constructor() {
    super('time budget exceeded')
  }
}

/** Marks a store or queue that works in this process without I/O: its calls need no time budget. */
export const IN_PROCESS = Symbol.for('hookguard.inProcess')

export function isInProcess(component: object): boolean {
  return (component as Record<symbol, unknown>)[IN_PROCESS] === true
}

/** Resolves like `value`, or rejects with {@link BudgetExceeded} after `ms` (0 = no budget). One promise, one timer. */
export function within<T>(value: Promise<T> | T, ms: number): Promise<T> {
  if (ms === 0 || !(value instanceof Promise)) return Promise.resolve(value)
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new BudgetExceeded()), ms)
    value.then(
      (result) => {
        clearTimeout(timer)
        resolve(result)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
