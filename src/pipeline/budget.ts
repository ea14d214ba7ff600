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

export { IN_PROCESS, isInProcess } from '../internal/in-process.js'

interface Deadline {
  at: number
  expire(): void
}

/**
 * Deadlines of calls in progress, checked by one shared timer: cheaper than
 * a timer per call (a `setTimeout` and a `clearTimeout` on every store and
 * queue call showed in profiles). Budgets are seconds long; a sweep every
 * few milliseconds is precise enough.
 */
const deadlines = new Set<Deadline>()
let sweeper: ReturnType<typeof setInterval> | undefined
let sweepEveryMs = 25

function sweep(): void {
  const now = performance.now()
  for (const deadline of deadlines) {
    if (deadline.at <= now) {
      deadlines.delete(deadline)
      deadline.expire()
    }
  }
  if (deadlines.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper)
    sweeper = undefined
  }
}

function watch(deadline: Deadline, ms: number): void {
  deadlines.add(deadline)
  // Short budgets (tests use tens of ms) get a finer sweep.
  const every = Math.max(1, Math.min(25, Math.floor(ms / 4)))
  if (sweeper !== undefined && every >= sweepEveryMs) return
  if (sweeper !== undefined) clearInterval(sweeper)
  sweepEveryMs = every
  // Not unref'd: it only runs while a call is pending, and that call must get its answer.
  sweeper = setInterval(sweep, every)
}

/** Resolves like `value`, or rejects with {@link BudgetExceeded} after `ms` (0 = no budget). */
export function within<T>(value: Promise<T> | T, ms: number): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value)
  if (ms === 0) return value
  return new Promise<T>((resolve, reject) => {
    const deadline: Deadline = { at: performance.now() + ms, expire: () => reject(new BudgetExceeded()) }
    watch(deadline, ms)
    value.then(
      (result) => {
        deadlines.delete(deadline)
        resolve(result)
      },
      (error: unknown) => {
        deadlines.delete(deadline)
        reject(error)
      },
    )
  })
}
