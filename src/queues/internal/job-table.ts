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
 * So the index holds only slot numbers, and the jobs sit in a plain array
 * whose slots are cleared when a job ends and reused by the next one.
 *
 * @module
 */
import { KeyIndex } from '../../internal/key-index.js'

export class JobTable<J> {
  /**
   * Key → slot. A {@link KeyIndex}, not a `Map`: the receiver's store and the queue's done memory have just
   * hashed the same key with the KeyIndex hash, which it reuses, where a `Map` would hash the string again.
   */
  readonly #index = new KeyIndex()
  readonly #jobs: (J | undefined)[] = []
  /** When each slot's job was added, for {@link values} in that order. */
  readonly #added: number[] = []
  #sequence = 0
  /** Slots cleared and ready for reuse (at most as many as jobs were ever live at once). */
  readonly #free: number[] = []

  get size(): number {
    return this.#index.size
  }

  has(key: string): boolean {
    return this.#index.find(key) >= 0
  }

  get(key: string): J | undefined {
    const slot = this.#index.find(key)
    return slot < 0 ? undefined : this.#jobs[slot]
  }

  /** Adds or replaces the job of `key`. */
  set(key: string, job: J): void {
    const existing = this.#index.find(key)
    if (existing >= 0) this.#jobs[existing] = job
    else this.add(key, job)
  }

  /** {@link set} for a key the caller just found absent (with {@link has}): one lookup fewer. Returns its slot. */
  add(key: string, job: J): number {
    const slot = this.#free.length > 0 ? this.#free.pop()! : this.#jobs.length
    this.#jobs[slot] = job
    this.#added[slot] = this.#sequence++
    this.#index.add(key, slot)
    return slot
  }

  delete(key: string): boolean {
    const slot = this.#index.find(key)
    if (slot < 0) return false
    this.#clear(slot)
    return true
  }

  /**
   * Deletes `job` from the slot {@link add} returned for it, without hashing its key again (the job's end comes
   * long after the key was last hashed). False when the slot no longer holds `job`.
   */
  deleteAt(slot: number, job: J): boolean {
    if (this.#jobs[slot] !== job) return false
    this.#clear(slot)
    return true
  }

  #clear(slot: number): void {
    this.#index.delete(slot)
    this.#jobs[slot] = undefined
    this.#free.push(slot)
  }

  /** The live jobs, in the order their keys were added. */
  *values(): IterableIterator<J> {
    const slots: number[] = []
    for (let slot = 0; slot < this.#jobs.length; slot++) if (this.#jobs[slot] !== undefined) slots.push(slot)
    slots.sort((a, b) => this.#added[a]! - this.#added[b]!)
    for (const slot of slots) yield this.#jobs[slot]!
  }
}
