import { describe, expect, it } from 'vitest'
import { memoryQueue } from '../../src/queues/memory.js'
import { fixedClock } from '../../src/testing.js'
import type { LogFields, Logger, QueuedEvent, WebhookEvent } from '../../src/types/index.js'
import { describeQueueConformance } from '../../src/conformance/index.js'
import { directQueueOf } from '../../src/internal/in-process.js'

describeQueueConformance('memoryQueue', {
  make: (hooks) => memoryQueue({ attempts: 3, backoffMs: 10, maxBackoffMs: 50, logger: false, ...hooks }),
})

const event = (key: string, extra: Partial<QueuedEvent> = {}): QueuedEvent => ({
  id: key,
  key,
  provider: 'stripe',
  receivedAt: 0,
  payload: {},
  headers: {},
  ...extra,
})

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function captureLogger(): Logger & { lines: Array<{ level: string; fields: LogFields; message: string }> } {
  const lines: Array<{ level: string; fields: LogFields; message: string }> = []
  return {
    lines,
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  }
}

describe('memoryQueue', () => {
  it('retries with exponential backoff and jitter, then dead-letters', async () => {
    const retries: number[] = []
    const dead: WebhookEvent[] = []
    const queue = memoryQueue({
      attempts: 4,
      backoffMs: 10,
      maxBackoffMs: 25,
      onRetry: (_e, _err, delay) => retries.push(delay),
      onDeadLetter: (e) => dead.push(e),
    })
    queue.process(async () => {
      throw new Error('nope')
    })
    await queue.enqueue(event('k1'))
    await queue.idle()
    expect(retries).toHaveLength(3)
    expect(retries[0]).toBeGreaterThanOrEqual(5)
    expect(retries[0]).toBeLessThanOrEqual(10)
    expect(retries[1]).toBeGreaterThanOrEqual(10)
    expect(retries[1]).toBeLessThanOrEqual(20)
    expect(retries[2]).toBeGreaterThanOrEqual(12)
    expect(retries[2]).toBeLessThanOrEqual(25)
    expect(dead.map((e) => e.attempt)).toEqual([4])
    expect(await queue.deadLetters()).toMatchObject([{ key: 'k1', attempts: 4, error: 'Error: nope' }])
    expect(await queue.stats()).toEqual({ pending: 0, running: 0, done: 0, dead: 1 })
  })

  it("a held event (the receiver's, until its answer is made) waits for start(), counts as pending, and stays one job", async () => {
    const queue = memoryQueue({ logger: false })
    const ran: string[] = []
    queue.process((e) => void ran.push(e.key))
    const direct = directQueueOf(queue)!
    const start = direct.enqueueHeld(event('held'))
    // The same key again (a retry racing the first delivery) is not a second job, held or not.
    direct.enqueueHeld(event('held'))()
    await queue.enqueue(event('held'))
    await sleep(5)
    expect(ran).toEqual([])
    expect(await queue.stats()).toEqual({ pending: 1, running: 0, done: 0, dead: 0 })
    start()
    start()
    await queue.idle()
    expect(ran).toEqual(['held'])
    expect(await queue.stats()).toEqual({ pending: 0, running: 0, done: 1, dead: 0 })
  })

  it('close() runs a held event whose start() never came, instead of waiting for it', async () => {
    const queue = memoryQueue({ logger: false })
    const ran: string[] = []
    queue.process((e) => void ran.push(e.key))
    directQueueOf(queue)!.enqueueHeld(event('orphan'))
    await queue.close()
    expect(ran).toEqual(['orphan'])
  })

  it('runs synchronous handlers, throwing ones and thenables alike, through a long ready list without recursing', async () => {
    // 20,000 ready events and a handler that returns at once: each settles inside the pump, which must loop,
    // not recurse once per event (that would overflow the stack).
    const count = 20_000
    const queue = memoryQueue({ maxPending: count, rememberKeys: count, attempts: 2, backoffMs: 1, maxBackoffMs: 1 })
    const attempts = new Map<string, number[]>()
    const dead: string[] = []
    queue.process(
      (e) => {
        attempts.set(e.key, [...(attempts.get(e.key) ?? []), e.attempt])
        if (e.key === 'throws') throw new Error('sync failure')
        // A thenable that is not a Promise is awaited like one.
        if (e.key === 'thenable') return { then: (ok: () => void) => setTimeout(ok, 5) }
        return undefined
      },
      { onDeadLetter: (e) => dead.push(e.key) },
    )
    const keys = [...Array.from({ length: count - 2 }, (_, i) => `k${i}`), 'throws', 'thenable']
    for (const key of keys) await queue.enqueue(event(key))
    await queue.idle()
    expect(attempts.size).toBe(count)
    expect(attempts.get('k0')).toEqual([1])
    expect(attempts.get(`k${count - 3}`)).toEqual([1])
    expect(attempts.get('throws')).toEqual([1, 2])
    expect(dead).toEqual(['throws'])
    expect(attempts.get('thenable')).toEqual([1])
    expect(await queue.stats()).toEqual({ pending: 0, running: 0, done: count - 1, dead: 1 })
    // A done key is not run again.
    await queue.enqueue(event('k0'))
    await queue.idle()
    expect(attempts.get('k0')).toEqual([1])
  })

  it('respects concurrency', async () => {
    const queue = memoryQueue({ concurrency: 2 })
    let running = 0
    let peak = 0
    queue.process(async () => {
      running++
      peak = Math.max(peak, running)
      await sleep(20)
      running--
    })
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((k) => queue.enqueue(event(k))))
    // Nothing starts in the turn that queued the events (their answers go out first).
    expect(await queue.stats()).toEqual({ pending: 5, running: 0, done: 0, dead: 0 })
    await new Promise((resolve) => setImmediate(resolve))
    expect(await queue.stats()).toEqual({ pending: 3, running: 2, done: 0, dead: 0 })
    await queue.idle()
    expect(peak).toBe(2)
    expect((await queue.stats()).done).toBe(5)
  })

  it('close() runs waiting retries at once instead of after their delay, and refuses new events', async () => {
    const attempts: number[] = []
    const queue = memoryQueue({ attempts: 3, backoffMs: 60_000, maxBackoffMs: 60_000 })
    queue.process(async (e) => {
      attempts.push(e.attempt)
      if (e.attempt === 1) throw new Error('first fails')
    })
    await queue.enqueue(event('k'))
    await sleep(20)
    expect(await queue.stats()).toEqual({ pending: 1, running: 0, done: 0, dead: 0 })
    await queue.close()
    expect(attempts).toEqual([1, 2])
    await expect(queue.enqueue(event('later'))).rejects.toThrow(/closed/)
    await expect(queue.retryAllDead()).rejects.toThrow(/closed/)
  })

  it('refuses bad options, bad hooks and a second handler with a TypeError', () => {
    expect(() => memoryQueue({ attempts: 0 })).toThrow(TypeError)
    expect(() => memoryQueue({ concurrency: 0 })).toThrow(/concurrency/)
    expect(() => memoryQueue({ backoffMs: 10, maxBackoffMs: 5 })).toThrow(TypeError)
    expect(() => memoryQueue({ maxPending: 0 })).toThrow(/maxPending/)
    expect(() => memoryQueue({ maxDeadLetters: 1.5 })).toThrow(/maxDeadLetters/)
    expect(() => memoryQueue({ retentionMs: -1 })).toThrow(/retentionMs/)
    expect(() => memoryQueue({ now: 5 as never })).toThrow(/now must be a function/)
    expect(() => memoryQueue({ logger: {} as never })).toThrow(/logger/)
    expect(() => memoryQueue({ onError: 'log' as never })).toThrow(/onError/)
    expect(() => memoryQueue({ onRetry: 'log' as never })).toThrow(/onRetry/)
    const queue = memoryQueue()
    expect(() => queue.process(() => {}, { onSuccess: 1 as never })).toThrow(/onSuccess/)
    queue.process(() => {})
    expect(() => queue.process(() => {})).toThrow(/already/)
  })

  it('refuses an event it could not give back unchanged', async () => {
    const queue = memoryQueue({ logger: false })
    await expect(queue.enqueue({ ...event('k'), key: '' })).rejects.toThrow(/event.key/)
    await expect(queue.enqueue({ ...event('k'), meta: { n: 1 as never } })).rejects.toThrow(/meta values/)
    await expect(queue.enqueue({ ...event('k'), deliveryId: 7 as never })).rejects.toThrow(/deliveryId/)
    expect((await queue.stats()).pending).toBe(0)
  })

  describe('without a worker', () => {
    it('rejects enqueue beyond maxPending, so the receiver answers 503 instead of growing without bound', async () => {
      const queue = memoryQueue({ maxPending: 3, logger: false })
      for (const key of ['a', 'b', 'c']) await queue.enqueue(event(key))
      await expect(queue.enqueue(event('d'))).rejects.toThrow(/maxPending.*no worker is running/)
      // A duplicate of a held key is still a no-op, not a rejection.
      await expect(queue.enqueue(event('a'))).resolves.toBeUndefined()
      const seen: string[] = []
      queue.process((e) => void seen.push(e.key))
      await queue.idle()
      await queue.enqueue(event('d'))
      await queue.idle()
      expect(seen).toEqual(['a', 'b', 'c', 'd'])
    })

    it('warns once through the logger when events wait with no worker past the grace period', async () => {
      const logger = captureLogger()
      const queue = memoryQueue({ logger, noWorkerWarningMs: 30 })
      await queue.enqueue(event('a'))
      await queue.enqueue(event('b'))
      await sleep(80)
      await queue.enqueue(event('c'))
      await sleep(80)
      expect(logger.lines).toEqual([
        {
          level: 'warn',
          fields: { queue: 'memoryQueue', pending: 2, maxPending: 10_000 },
          message: expect.stringMatching(/no worker is running/),
        },
      ])
    })

    it('does not warn when the worker starts within the grace period', async () => {
      const logger = captureLogger()
      const queue = memoryQueue({ logger, noWorkerWarningMs: 30 })
      await queue.enqueue(event('a'))
      queue.process(() => {})
      await sleep(80)
      expect(logger.lines).toEqual([])
    })
  })

  it('forgets a finished key after retentionMs on its clock, or past rememberKeys, and runs it again', async () => {
    const clock = fixedClock(1_000_000)
    const queue = memoryQueue({ now: clock, retentionMs: 60_000, rememberKeys: 2 })
    const seen: string[] = []
    queue.process((e) => void seen.push(e.key))
    await queue.enqueue(event('a'))
    await queue.idle()
    clock.advance(59_999)
    await queue.enqueue(event('a'))
    await queue.idle()
    expect(seen).toEqual(['a'])
    clock.advance(1)
    expect((await queue.stats()).done).toBe(0)
    await queue.enqueue(event('a'))
    await queue.idle()
    expect(seen).toEqual(['a', 'a'])
    for (const key of ['b', 'c']) await queue.enqueue(event(key))
    await queue.idle()
    expect((await queue.stats()).done).toBe(2)
    await queue.enqueue(event('a')) // pushed out by b and c
    await queue.idle()
    expect(seen).toEqual(['a', 'a', 'b', 'c', 'a'])
  })

  it('dates dead letters by its clock and keeps at most maxDeadLetters, warning once when it drops one', async () => {
    const clock = fixedClock(5_000)
    const logger = captureLogger()
    const queue = memoryQueue({ now: clock, attempts: 1, maxDeadLetters: 2, logger, onDeadLetter: () => {} })
    queue.process(() => {
      throw new Error('down')
    })
    for (const key of ['a', 'b', 'c', 'd']) {
      await queue.enqueue(event(key))
      await queue.idle()
      clock.advance(1000)
    }
    const letters = await queue.deadLetters()
    expect(letters.map((l) => [l.key, l.failedAt])).toEqual([
      ['d', 8_000],
      ['c', 7_000],
    ])
    expect(await queue.stats()).toMatchObject({ dead: 2 })
    expect(logger.lines.map((l) => [l.level, l.fields])).toEqual([
      ['warn', { queue: 'memoryQueue', maxDeadLetters: 2 }],
    ])
    expect(await queue.retryDead('a')).toBe(false) // dropped
  })

  it('logs a dead letter nobody listens for; with an onDeadLetter hook (at construction or process) it stays quiet', async () => {
    const logger = captureLogger()
    const unwatched = memoryQueue({ attempts: 1, logger })
    unwatched.process(() => {
      throw new RangeError('too far')
    })
    await unwatched.enqueue(event('k:lost'))
    await unwatched.idle()
    expect(logger.lines).toEqual([
      {
        level: 'warn',
        fields: { queue: 'memoryQueue', key: 'k:lost', attempt: 1, error: 'RangeError: too far' },
        message: expect.stringMatching(/dead-lettered/),
      },
    ])
    const quiet = captureLogger()
    const watched = memoryQueue({ attempts: 1, logger: quiet })
    const seen: string[] = []
    watched.process(
      () => {
        throw new Error('x')
      },
      { onDeadLetter: (e) => void seen.push(e.key) },
    )
    await watched.enqueue(event('k:seen'))
    await watched.idle()
    expect(seen).toEqual(['k:seen'])
    expect(quiet.lines).toEqual([])
  })

  it('reports its own faults to onError, not to the handler hooks', async () => {
    const errors: unknown[] = []
    let broken = false
    const clock = () => {
      if (broken) throw new Error('clock broke')
      return 0
    }
    const failures: unknown[] = []
    const queue = memoryQueue({
      now: clock,
      onError: (e) => errors.push(e),
      onDeadLetter: (_e, err) => failures.push(err),
    })
    queue.process(() => {
      broken = true // the queue reads the clock when it records the finished key
    })
    await queue.enqueue(event('k'))
    await sleep(20)
    expect(errors.map((e) => (e as Error).message)).toEqual(['clock broke'])
    expect(failures).toEqual([])
  })
})
