import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JobTable } from '../../src/queues/internal/job-table.js'

describe('JobTable (memoryQueue live jobs by key)', () => {
  it('finds, replaces and deletes jobs by key, reusing freed slots', () => {
    const table = new JobTable<{ n: number }>()
    const a = { n: 1 }
    const b = { n: 2 }
    table.set('a', a)
    table.set('b', b)
    expect(table.size).toBe(2)
    expect(table.get('a')).toBe(a)
    expect(table.has('b')).toBe(true)
    expect(table.delete('a')).toBe(true)
    expect(table.delete('a')).toBe(false)
    expect(table.get('a')).toBeUndefined()
    expect(table.has('a')).toBe(false)
    // The freed slot goes to the next job: b must stay b.
    const c = { n: 3 }
    table.set('c', c)
    expect([table.get('b'), table.get('c')]).toEqual([b, c])
    const b2 = { n: 22 }
    table.set('b', b2)
    expect(table.size).toBe(2)
    expect(table.get('b')).toBe(b2)
    expect([...table.values()]).toEqual([b2, c])
  })

  it('behaves as a Map under any sequence of sets, deletes by key and deletes by slot', () => {
    // 40 keys: enough for the index to grow and to shift entries back on delete.
    const keys = Array.from({ length: 40 }, (_, i) => `github:default:${i}`)
    const op = fc.record({
      kind: fc.constantFrom('set', 'delete', 'deleteAt', 'deleteAtStale'),
      key: fc.constantFrom(...keys),
      value: fc.nat(),
    })
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const table = new JobTable<{ value: number }>()
        const model = new Map<string, { value: number }>()
        // The slot add() gave each job, and jobs that have left (their slot may hold another job by now).
        const slots = new Map<{ value: number }, number>()
        const gone: { value: number }[] = []
        for (const { kind, key, value } of ops) {
          const current = model.get(key)
          if (kind === 'delete') {
            expect(table.delete(key)).toBe(model.delete(key))
            if (current) gone.push(current)
          } else if (kind === 'deleteAt') {
            const slot = current ? slots.get(current) : undefined
            // A job replaced by set() keeps no slot of its own: only add()ed jobs leave by slot.
            if (current === undefined || slot === undefined) continue
            expect(table.deleteAt(slot, current)).toBe(true)
            model.delete(key)
            gone.push(current)
          } else if (kind === 'deleteAtStale') {
            // A job that already left must not take out whatever now sits at its old slot.
            const stale = gone[value % Math.max(1, gone.length)]
            if (stale !== undefined && slots.has(stale)) expect(table.deleteAt(slots.get(stale)!, stale)).toBe(false)
          } else {
            const job = { value }
            // add() is for a key found absent, as memoryQueue's enqueue uses it; set() otherwise.
            if (table.has(key)) {
              table.set(key, job)
              if (current) gone.push(current)
            } else slots.set(job, table.add(key, job))
            model.set(key, job)
          }
          expect(table.size).toBe(model.size)
        }
        for (const key of keys) expect(table.get(key)).toBe(model.get(key))
        expect([...table.values()]).toEqual([...model.values()])
      }),
    )
  })
})
