/**
 * A reference model of memoryStore for the model-based test: the obvious
 * implementation (one object per key, recency by Map insertion order), which
 * the compact store must match answer for answer.
 */
import type { ReserveResult } from '../../src/types/index.js'

interface Entry {
  token?: string
  expiresAt: number
  version?: number
}

export class ModelStore {
  keys = new Map<string, Entry>()
  versions = new Map<string, Entry>()
  evictedUnexpired = 0

  constructor(
    readonly max: number,
    readonly now: () => number,
  ) {}

  #find(table: Map<string, Entry>, key: string): Entry | undefined {
    const entry = table.get(key)
    if (entry) {
      table.delete(key)
      table.set(key, entry)
    }
    return entry
  }

  #live(key: string): Entry | undefined {
    const entry = this.#find(this.keys, key)
    if (entry && entry.expiresAt <= this.now()) this.keys.delete(key)
    return entry && entry.expiresAt > this.now() ? entry : undefined
  }

  #insert(table: Map<string, Entry>, key: string, entry: Entry): void {
    if (table.size >= this.max) {
      const [oldest, old] = table.entries().next().value as [string, Entry]
      if (old.expiresAt > this.now()) this.evictedUnexpired++
      table.delete(oldest)
    }
    table.set(key, entry)
  }

  reserve(key: string, leaseMs: number, token: string): ReserveResult {
    const entry = this.#live(key)
    if (entry && entry.token === undefined) return { status: 'duplicate' }
    if (entry) return { status: 'in_flight', retryAfterMs: entry.expiresAt - this.now() }
    this.#insert(this.keys, key, { token, expiresAt: this.now() + leaseMs })
    return { status: 'reserved', token }
  }

  complete(key: string, token: string, retentionMs: number): boolean {
    const entry = this.#live(key)
    if (!entry || entry.token !== token) return false
    this.keys.set(key, { expiresAt: this.now() + retentionMs })
    return true
  }

  release(key: string, token: string): boolean {
    const entry = this.#find(this.keys, key)
    if (!entry || entry.token !== token) return false
    this.keys.delete(key)
    return true
  }

  forget(key: string): boolean {
    const entry = this.#live(key)
    if (!entry || entry.token !== undefined) return false
    this.keys.delete(key)
    return true
  }

  advance(entity: string, version: number, retentionMs: number): boolean {
    const entry = this.#find(this.versions, entity)
    if (entry && entry.expiresAt > this.now() && entry.version! > version) return false
    const next = { version, expiresAt: this.now() + retentionMs }
    if (entry) this.versions.set(entity, next)
    else this.#insert(this.versions, entity, next)
    return true
  }
}
