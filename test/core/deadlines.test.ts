import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { deadline } from '../../src/internal/deadlines.js'

describe('deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('expires once, within one sweep of its time, unless cleared', () => {
    const expired: string[] = []
    deadline(100, () => expired.push('a'))
    const b = deadline(100, () => expired.push('b'))
    vi.advanceTimersByTime(50)
    deadline(100, () => expired.push('c'))
    b.clear()
    vi.advanceTimersByTime(49)
    expect(expired).toEqual([])
    vi.advanceTimersByTime(26)
    expect(expired).toEqual(['a'])
    vi.advanceTimersByTime(100)
    expect(expired).toEqual(['a', 'c'])
    vi.advanceTimersByTime(1000)
    expect(expired).toEqual(['a', 'c'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('keeps budgets apart: a short one behind a long one still expires on time', () => {
    const expired: string[] = []
    deadline(10_000, () => expired.push('long'))
    deadline(40, () => expired.push('short'))
    vi.advanceTimersByTime(60)
    expect(expired).toEqual(['short'])
    vi.advanceTimersByTime(10_000)
    expect(expired).toEqual(['short', 'long'])
  })

  it('clearing out of order leaves the others armed, and clear() after expiry is harmless', () => {
    const expired: number[] = []
    const all = Array.from({ length: 5 }, (_, i) => deadline(100, () => expired.push(i)))
    all[3]!.clear()
    all[1]!.clear()
    vi.advanceTimersByTime(150)
    expect(expired).toEqual([0, 2, 4])
    for (const d of all) d.clear()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('stops its timer as soon as nothing waits, and starts again for the next deadline', () => {
    for (let i = 0; i < 3000; i++) deadline(1000, () => expect.unreachable()).clear()
    vi.advanceTimersByTime(30)
    expect(vi.getTimerCount()).toBe(0)
    const fired = vi.fn()
    deadline(20, fired)
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(30)
    expect(fired).toHaveBeenCalledTimes(1)
  })

  it('a deadline set from an expiring one is kept', () => {
    const expired: string[] = []
    deadline(40, () => {
      expired.push('first')
      deadline(40, () => expired.push('second'))
    })
    vi.advanceTimersByTime(60)
    vi.advanceTimersByTime(60)
    expect(expired).toEqual(['first', 'second'])
  })
})
