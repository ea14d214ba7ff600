import { describe, expect, it } from 'vitest'
import { memoryArchive } from '../../src/archive/memory.js'
import { describeArchiveConformance, sampleRecord } from './conformance.js'

describeArchiveConformance('memoryArchive', { make: (options) => memoryArchive({ max: 100_000, ...options }) })

describe('memoryArchive', () => {
  it('holds at most max records, evicting the ones received longest ago', async () => {
    const archive = memoryArchive({ max: 5 })
    const records = Array.from({ length: 8 }, (_, i) => sampleRecord({ receivedAt: 1_000_000 + (7 - i) * 10 }))
    await archive.write(records)
    expect(archive.size()).toBe(5)
    // The three oldest (received first, though written last) went.
    const kept = (await archive.list()).items.map((i) => i.receivedAt)
    expect(kept).toEqual([1_000_070, 1_000_060, 1_000_050, 1_000_040, 1_000_030])
    expect((await archive.stats()).total).toBe(5)
    expect(await archive.get(records[7]!.deliveryId)).toBeUndefined()
  })

  it('stays bounded over many evictions and keeps list order', async () => {
    const archive = memoryArchive({ max: 100 })
    for (let i = 0; i < 50; i++)
      await archive.write(Array.from({ length: 100 }, (_, j) => sampleRecord({ receivedAt: 2_000_000 + i * 100 + j })))
    expect(archive.size()).toBe(100)
    const items = (await archive.list({ limit: 1000 })).items
    expect(items).toHaveLength(100)
    expect(items[0]!.receivedAt).toBe(2_000_000 + 49 * 100 + 99)
    expect(items.at(-1)!.receivedAt).toBe(2_000_000 + 49 * 100)
  })

  it('refuses bad options at construction with a TypeError that names the option', () => {
    expect(() => memoryArchive({ max: 0 })).toThrow(/max must be a positive integer/)
    expect(() => memoryArchive({ maxBodyBytes: -1 })).toThrow(/maxBodyBytes/)
    expect(() => memoryArchive({ rejectedBodies: 'yes' as never })).toThrow(/rejectedBodies/)
    expect(() => memoryArchive({ retentionMs: 0 })).toThrow(/retentionMs/)
    expect(() => memoryArchive({ now: 5 as never })).toThrow(/now must be a function/)
    expect(() => memoryArchive(null as never)).toThrow(TypeError)
  })

  it('defaults to 10 000 records', async () => {
    const archive = memoryArchive()
    for (let i = 0; i < 11; i++)
      await archive.write(Array.from({ length: 1000 }, () => sampleRecord({ body: undefined, bodySize: 0 })))
    expect(archive.size()).toBe(10_000)
  })
})
