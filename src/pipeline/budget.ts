/**
 * Time budgets for store and queue calls: past the budget the request gets
 * a 503 instead of hanging. In-process stores and queues (memory) do no I/O
 * and cannot stall, so their calls skip the timer altogether.
 *
 * @module
 */
import { deadline } from '../internal/deadlines.js'

/** Thrown when a budget runs out. */
export class BudgetExceeded extends Error {
  constructor() {
    super('time budget exceeded')
  }
}

export { IN_PROCESS, isInProcess } from '../internal/in-process.js'

/** Resolves like `value`, or rejects with {@link BudgetExceeded} after `ms` (0 = no budget). */
export function within<T>(value: Promise<T> | T, ms: number): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value)
  if (ms === 0) return value
  return new Promise<T>((resolve, reject) => {
    const watch = deadline(ms, () => reject(new BudgetExceeded()))
    value.then(
      (result) => {
        watch.clear()
        resolve(result)
      },
      (error: unknown) => {
        watch.clear()
        reject(error)
      },
    )
  })
}
