/**
 * Internal: deadlines checked by one shared timer. A `setTimeout` and a
 * `clearTimeout` for every store call, queue call and body read showed in
 * profiles; deadlines swept every few milliseconds cost less. Budgets are
 * hundreds of milliseconds or more, so a sweep of at most 25 ms is precise
 * enough (shorter budgets get a finer sweep).
 *
 * Deadlines with the same budget expire in the order they were set, so each
 * budget keeps a plain FIFO: setting one is a push, clearing one marks it
 * and drops the cleared run at the head, and a sweep stops at the first live
 * deadline that is still in the future. No hashing per call, no closure per
 * deadline.
 *
 * @module
 */

export interface Deadline {
  /** Stop watching: the work finished in time. */
  clear(): void
}

/** The deadlines of one budget (ms), oldest first from `head`. */
class Lane {
  entries: (Entry | undefined)[] = []
  head = 0

  /** Drops cleared deadlines from the head, so finished work is not kept alive until its budget ends. */
  trim(): void {
    const entries = this.entries
    while (this.head < entries.length && entries[this.head]!.expire === undefined) entries[this.head++] = undefined
    if (this.head === entries.length) {
      entries.length = 0
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head)
      this.head = 0
    }
  }
}

class Entry implements Deadline {
  constructor(
    readonly lane: Lane,
    readonly at: number,
    /** Undefined once cleared or expired. */
    public expire: (() => void) | undefined,
  ) {}

  clear(): void {
    if (this.expire === undefined) return
    this.expire = undefined
    pending--
    this.lane.trim()
  }
}

const lanes = new Map<number, Lane>()
/** Deadlines set and neither cleared nor expired. */
let pending = 0
let sweeper: ReturnType<typeof setInterval> | undefined
let sweepEveryMs = 25

function sweepLane(lane: Lane, now: number): void {
  const entries = lane.entries
  while (lane.head < entries.length) {
    const entry = entries[lane.head]!
    if (entry.expire !== undefined) {
      if (entry.at > now) break
      const expire = entry.expire
      entry.expire = undefined
      pending--
      expire()
    }
    entries[lane.head++] = undefined
  }
  lane.trim()
}

function sweep(): void {
  const now = performance.now()
  for (const [ms, lane] of lanes) {
    sweepLane(lane, now)
    if (lane.entries.length === 0) lanes.delete(ms)
  }
  if (pending === 0 && sweeper !== undefined) {
    clearInterval(sweeper)
    sweeper = undefined
  }
}

/** Calls `expire` once, `ms` from now, unless `clear()` comes first. */
export function deadline(ms: number, expire: () => void): Deadline {
  let lane = lanes.get(ms)
  if (lane === undefined) lanes.set(ms, (lane = new Lane()))
  const entry = new Entry(lane, performance.now() + ms, expire)
  lane.entries.push(entry)
  pending++
  const every = Math.max(1, Math.min(25, Math.floor(ms / 4)))
  if (sweeper === undefined || every < sweepEveryMs) {
    if (sweeper !== undefined) clearInterval(sweeper)
    sweepEveryMs = every
    // Not unref'd: it only runs while something waits on a deadline, and that wait must end.
    sweeper = setInterval(sweep, every)
  }
  return entry
}
