/**
 * Internal: an in-process queue's live jobs by key, kept so that short-lived
 * jobs die young.
 *
 * A `Map<string, Job>` that gains and loses a job per delivery keeps its
 * jobs alive past their end. V8 replaces a Map's hash table as it grows and
 * shrinks, and a replaced table still points at the entries it held; once
 * such a table is in the old generation, the young-generation collector
 * treats what it points at as live. So nearly every job, with its event and
 * parsed payload, was copied into the old generation and freed only by a
 * full collection: measured on memoryQueue with 1 KiB GitHub payloads,
 * about 1.3 KB promoted per event, and 3–4× the GC time of the same queue
 * whose Map held numbers.
 *
 * So the Map holds only small integers (slot numbers, which V8 stores
 * inline), and the jobs sit in a plain array whose slots are cleared when a
 * job ends and reused by the next one.
 *
 * @module
 */

export class JobTable<J> {
  readonly #slots = new Map<string, number>()
  readonly #jobs: (J | undefined)[] = []
  /** Slots cleared and ready for reuse (at most as many as jobs were ever live at once). */
  readonly #free: number[] = []

  get size(): number {
    return this.#slots.size
  }

  has(key: string): boolean {
    return this.#slots.has(key)
  }

  get(key: string): J | undefined {
    const slot = this.#slots.get(key)
    return slot === undefined ? undefined : this.#jobs[slot]
  }

  /** Adds or replaces the job of `key`. */
  set(key: string, job: J): void {
    const existing = this.#slots.get(key)
    if (existing !== undefined) {
      this.#jobs[existing] = job
      return
    }
    const slot = this.#free.length > 0 ? this.#free.pop()! : this.#jobs.length
    this.#jobs[slot] = job
    this.#slots.set(key, slot)
  }

  /** {@link set} for a key the caller just found absent (with {@link has}): one lookup fewer. */
  add(key: string, job: J): void {
    const slot = this.#free.length > 0 ? this.#free.pop()! : this.#jobs.length
    this.#jobs[slot] = job
    this.#slots.set(key, slot)
  }

  delete(key: string): boolean {
    const slot = this.#slots.get(key)
    if (slot === undefined) return false
    this.#slots.delete(key)
    this.#jobs[slot] = undefined
    this.#free.push(slot)
    return true
  }

  /** The live jobs, in the order their keys were added. */
  *values(): IterableIterator<J> {
    for (const slot of this.#slots.values()) yield this.#jobs[slot]!
  }
}
