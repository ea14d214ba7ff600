/**
 * Internal: deadlines checked by one shared timer. A `setTimeout` and a
 * `clearTimeout` for every store call, queue call and body read showed in
 * profiles; a set of deadlines swept every few milliseconds costs less.
 * Budgets are hundreds of milliseconds or more, so a sweep of at most
 * 25 ms is precise enough (shorter budgets get a finer sweep).
 *
 * @module
 */

export interface Deadline {
  /** Stop watching: the work finished in time. */
  clear(): void
}

interface Entry extends Deadline {
  at: number
  expire: () => void
}

const entries = new Set<Entry>()
let sweeper: ReturnType<typeof setInterval> | undefined
let sweepEveryMs = 25

function sweep(): void {
  const now = performance.now()
  for (const entry of entries) {
    if (entry.at <= now) {
      entries.delete(entry)
      entry.expire()
    }
  }
  if (entries.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper)
    sweeper = undefined
  }
}

/** Calls `expire` once, `ms` from now, unless `clear()` comes first. */
export function deadline(ms: number, expire: () => void): Deadline {
  const entry: Entry = {
    at: performance.now() + ms,
    expire,
    clear: () => void entries.delete(entry),
  }
  entries.add(entry)
  const every = Math.max(1, Math.min(25, Math.floor(ms / 4)))
  if (sweeper === undefined || every < sweepEveryMs) {
    if (sweeper !== undefined) clearInterval(sweeper)
    sweepEveryMs = every
    // Not unref'd: it only runs while something waits on a deadline, and that wait must end.
    sweeper = setInterval(sweep, every)
  }
  return entry
}
