/**
 * The WebhookQueue conformance suite, published as `hookguard/conformance`.
 * Every built-in queue runs it; so can yours (see describeQueueConformance).
 */
import { describe, expect, it } from 'vitest'
import type { QueuedEvent, QueueStats, WebhookEvent, WebhookQueue, WorkerHooks } from '../types/index.js'

/**
 * Optional parts of a queue that {@link describeQueueConformance} can skip:
 * `'stats'`; `'deadLetters'` (deadLetters, retryDead, retryAllDead,
 * discardDead); `'constructorHooks'` (hooks given to `make`).
 */
export type QueueConformancePart = 'stats' | 'deadLetters' | 'constructorHooks'

/** What {@link describeQueueConformance} runs against. */
export interface QueueConformanceOptions {
  /**
   * A fresh, empty queue whose worker makes exactly 3 attempts with retry
   * delays of at most 100 ms, and that calls `hooks` (its own, construction-time
   * hooks) in addition to those given to `process()`.
   */
  make(hooks: WorkerHooks): WebhookQueue | Promise<WebhookQueue>
  /**
   * Another handle on the same queue (another instance, another connection),
   * used only to enqueue: concurrent enqueues of one key then race across both.
   * @default the queue itself
   */
  peer?(queue: WebhookQueue): WebhookQueue | Promise<WebhookQueue>
  /**
   * Cleans up after `close()` (drop tables, delete keys).
   * @default none
   */
  destroy?(queue: WebhookQueue): Promise<void> | void
  /**
   * Optional parts the queue does not implement; their tests are reported as skipped.
   * @default [] (every part is tested)
   */
  without?: readonly QueueConformancePart[]
  /**
   * How long to wait for the worker, ms.
   * @default 8000
   */
  timeoutMs?: number
}

interface Recorder {
  success: WebhookEvent[]
  retry: Array<{ event: WebhookEvent; error: unknown; delayMs: number }>
  dead: Array<{ event: WebhookEvent; error: unknown }>
}

interface Harness {
  queue: WebhookQueue
  peer: WebhookQueue
  /** What the queue's own hooks (given to `make`) saw. They throw after recording. */
  own: Recorder
  /** What the hooks given to `process()` saw. */
  given: Recorder
  /** Every handler call. */
  runs: WebhookEvent[]
  /** Starts the worker with `handler`, recording every call and passing the `given` hooks. */
  start(handler: (event: WebhookEvent) => unknown): Promise<void>
  waitFor(check: () => boolean | Promise<boolean>, what: string): Promise<void>
}

function recorder(): Recorder {
  return { success: [], retry: [], dead: [] }
}

function recordingHooks(into: Recorder, thenThrow: boolean): WorkerHooks {
  const after = (): void => {
    if (thenThrow) throw new Error('a broken hook')
  }
  return {
    onSuccess: (event) => (into.success.push(event), after()),
    onRetry: (event, error, delayMs) => (into.retry.push({ event, error, delayMs }), after()),
    onDeadLetter: (event, error) => (into.dead.push({ event, error }), after()),
  }
}

/** A queued event with every field set (and awkward payload text); shared with the built-in queue tests, not public. */
export function sampleEvent(key: string, extra: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    id: key.split(':').pop()!,
    key,
    provider: 'stripe',
    type: 'payment_intent.succeeded',
    timestamp: 1_700_000_000,
    receivedAt: 1_700_000_000_123,
    payload: { id: key, nested: { list: [1, 'two', null, true], text: 'é💥\u0000' } },
    headers: { 'content-type': 'application/json', 'stripe-signature': '[redacted]' },
    deliveryId: `dlv_${key.replace(/\W/g, '_')}`,
    meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tenant: 'acme', empty: '' },
    ...extra,
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const keysOf = (events: WebhookEvent[], key: string): WebhookEvent[] => events.filter((e) => e.key === key)

/**
 * Declares the WebhookQueue conformance cases for your queue, inside a vitest
 * test file. What it proves: events reach the handler unchanged (deliveryId
 * and meta included) with attempt 1; enqueue is idempotent by key; retries
 * count attempts; the last failure dead-letters; hooks given to `process()`
 * fire together with the queue's own, and a throwing hook breaks nothing;
 * `stats()` counts `{ pending, running, done, dead }`; dead letters have one
 * shape, newest first, and can be retried (one or all; attempts restart at 1)
 * or discarded; enqueueing a dead key revives it with the new event exactly
 * once, even under concurrent enqueues; `close()` drains running handlers.
 * Every built-in queue passes the same cases.
 *
 * Call it at the top level of a test file (it calls vitest's `describe` and
 * `it`; vitest is an optional peer dependency).
 *
 * @example
 * ```ts
 * // test/my-queue.test.ts
 * import { describeQueueConformance } from 'hookguard/conformance'
 *
 * describeQueueConformance('myQueue', {
 *   // 3 attempts, short retry delays, and the suite's hooks wired as the queue's own
 *   make: (hooks) => myQueue({ attempts: 3, backoffMs: 10, ...hooks }),
 *   destroy: () => dropMyTables(),
 *   without: ['stats'], // not implemented: those cases are reported as skipped
 * })
 * ```
 */
export function describeQueueConformance(title: string, options: QueueConformanceOptions): void {
  const without = new Set(options.without ?? [])
  const timeoutMs = options.timeoutMs ?? 8000

  async function withQueue(fn: (h: Harness) => Promise<void>): Promise<void> {
    const own = recorder()
    const given = recorder()
    const runs: WebhookEvent[] = []
    const queue = await options.make(recordingHooks(own, true))
    const peer = options.peer ? await options.peer(queue) : queue
    const harness: Harness = {
      queue,
      peer,
      own,
      given,
      runs,
      async start(handler) {
        await queue.process!(
          async (event) => {
            runs.push(event)
            await handler(event)
          },
          recordingHooks(given, false),
        )
      },
      async waitFor(check, what) {
        const deadline = Date.now() + timeoutMs
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
          await sleep(10)
        }
      },
    }
    try {
      await fn(harness)
    } finally {
      if (peer !== queue) await peer.close?.()
      await queue.close?.()
      await options.destroy?.(queue)
    }
  }

  const stats = (h: Harness): Promise<QueueStats> => h.queue.stats!()
  const itStats = it.skipIf(without.has('stats'))
  const itDead = it.skipIf(without.has('deadLetters'))

  describe(`WebhookQueue conformance: ${title}`, () => {
    it('delivers the event unchanged to the handler — deliveryId and meta included — with attempt 1', () =>
      withQueue(async (h) => {
        const event = sampleEvent('stripe:default:evt_same')
        await h.queue.enqueue(event)
        await h.start(() => {})
        await h.waitFor(() => h.given.success.length === 1, 'the handler')
        expect(h.runs).toEqual([{ ...event, attempt: 1 }])
        expect(h.given.success).toEqual([{ ...event, attempt: 1 }])
      }))

    it('an event without the optional fields comes back without them', () =>
      withQueue(async (h) => {
        const event: QueuedEvent = {
          id: 'evt_bare',
          key: 'k:bare',
          provider: 'github',
          receivedAt: 5,
          payload: null,
          headers: {},
        }
        await h.queue.enqueue(event)
        await h.start(() => {})
        await h.waitFor(() => h.runs.length === 1, 'the handler')
        expect(h.runs[0]).toStrictEqual({ ...event, attempt: 1 })
      }))

    it('enqueue is idempotent by key: the handler runs once per key', () =>
      withQueue(async (h) => {
        await Promise.all([h.queue.enqueue(sampleEvent('k:dup')), h.peer.enqueue(sampleEvent('k:dup'))])
        await h.start(() => {})
        await h.waitFor(() => h.runs.length >= 1, 'the first run')
        await h.queue.enqueue(sampleEvent('k:dup'))
        await h.peer.enqueue(sampleEvent('k:other'))
        await h.waitFor(() => h.runs.some((e) => e.key === 'k:other'), 'the other key')
        await sleep(200)
        expect(keysOf(h.runs, 'k:dup')).toHaveLength(1)
      }))

    it('retries a failing handler with increasing attempt numbers; hooks from process() and the queue both fire', () =>
      withQueue(async (h) => {
        await h.start((e) => {
          if (e.attempt < 3) throw new Error(`flaky ${e.attempt}`)
        })
        await h.queue.enqueue(sampleEvent('k:flaky'))
        await h.waitFor(() => h.given.success.length === 1, 'the third attempt to succeed')
        await sleep(200)
        expect(h.runs.map((e) => e.attempt)).toEqual([1, 2, 3])
        expect(h.given.retry.map((r) => [r.event.attempt, (r.error as Error).message])).toEqual([
          [1, 'flaky 1'],
          [2, 'flaky 2'],
        ])
        for (const { delayMs } of h.given.retry) expect(delayMs).toBeGreaterThanOrEqual(0)
        expect(h.given.success.map((e) => e.attempt)).toEqual([3])
        expect(h.given.dead).toEqual([])
        if (!without.has('constructorHooks')) {
          // The queue's own hooks throw after recording: neither the worker nor the other hooks noticed.
          expect(h.own.retry.map((r) => r.event.attempt)).toEqual([1, 2])
          expect(h.own.success.map((e) => e.attempt)).toEqual([3])
        }
      }))

    it('dead-letters after the last attempt and stops retrying', () =>
      withQueue(async (h) => {
        await h.start(() => {
          throw new Error('always fails')
        })
        await h.queue.enqueue(sampleEvent('k:dead'))
        await h.waitFor(() => h.given.dead.length === 1, 'the dead letter')
        await sleep(300)
        expect(h.runs).toHaveLength(3)
        expect(h.given.dead[0]!.event).toMatchObject({ key: 'k:dead', attempt: 3 })
        expect((h.given.dead[0]!.error as Error).message).toBe('always fails')
        if (!without.has('constructorHooks')) expect(h.own.dead.map((d) => d.event.attempt)).toEqual([3])
      }))

    it('handles many distinct events exactly once each', () =>
      withQueue(async (h) => {
        await h.start(() => {})
        await Promise.all(
          Array.from({ length: 100 }, (_, i) => (i % 2 ? h.peer : h.queue).enqueue(sampleEvent(`k:many:${i}`))),
        )
        await h.waitFor(() => new Set(h.runs.map((e) => e.key)).size === 100, 'all events')
        await sleep(200)
        expect(h.runs).toHaveLength(100)
      }))

    itStats('stats() counts { pending, running, done, dead }', () =>
      withQueue(async (h) => {
        expect(await stats(h)).toStrictEqual({ pending: 0, running: 0, done: 0, dead: 0 })
        for (const key of ['k:st:ok', 'k:st:fail', 'k:st:slow']) await h.queue.enqueue(sampleEvent(key))
        expect(await stats(h)).toStrictEqual({ pending: 3, running: 0, done: 0, dead: 0 })
        let release!: () => void
        const gate = new Promise<void>((resolve) => (release = resolve))
        await h.start(async (e) => {
          if (e.key === 'k:st:fail') throw new Error('fails')
          if (e.key === 'k:st:slow') await gate
        })
        await h.waitFor(
          () => h.given.success.length === 1 && h.given.dead.length === 1 && h.runs.some((e) => e.key === 'k:st:slow'),
          'one done, one dead, one running',
        )
        expect(await stats(h)).toStrictEqual({ pending: 0, running: 1, done: 1, dead: 1 })
        release()
        await h.waitFor(() => h.given.success.length === 2, 'the slow one')
        expect(await stats(h)).toStrictEqual({ pending: 0, running: 0, done: 2, dead: 1 })
      }),
    )

    itDead('deadLetters() lists { key, event, error, attempts, failedAt }, newest first, up to limit', () =>
      withQueue(async (h) => {
        const before = Date.now()
        await h.start((e) => {
          throw new TypeError(`broken ${e.attempt}`)
        })
        const first = sampleEvent('k:dl:first')
        const second = sampleEvent('k:dl:second', { payload: { other: true }, meta: { replayOf: 'dlv_1' } })
        await h.queue.enqueue(first)
        await h.waitFor(() => h.given.dead.length === 1, 'the first dead letter')
        await sleep(5)
        await h.queue.enqueue(second)
        await h.waitFor(() => h.given.dead.length === 2, 'the second dead letter')
        const letters = await h.queue.deadLetters!()
        const shape = (event: QueuedEvent) => ({
          key: event.key,
          event: { ...event, attempt: 3 },
          error: 'TypeError: broken 3',
          attempts: 3,
          failedAt: expect.any(Number),
        })
        expect(letters).toStrictEqual([shape(second), shape(first)])
        expect(letters[0]!.failedAt).toBeGreaterThanOrEqual(letters[1]!.failedAt)
        expect(letters[1]!.failedAt).toBeGreaterThanOrEqual(before)
        expect(letters[0]!.failedAt).toBeLessThanOrEqual(Date.now())
        expect(await h.queue.deadLetters!({ limit: 1 })).toStrictEqual([shape(second)])
      }),
    )

    itDead('retryDead(key) runs a dead letter again with attempts from 1; false when the key is not dead', () =>
      withQueue(async (h) => {
        let healthy = false
        await h.start(() => {
          if (!healthy) throw new Error('down')
        })
        await h.queue.enqueue(sampleEvent('k:retry-one'))
        await h.waitFor(() => h.given.dead.length === 1, 'the dead letter')
        expect(await h.queue.retryDead!('k:never-seen')).toBe(false)
        healthy = true
        expect(await h.queue.retryDead!('k:retry-one')).toBe(true)
        expect(await h.queue.retryDead!('k:retry-one')).toBe(false)
        await h.waitFor(() => h.given.success.length === 1, 'the retried job')
        expect(h.runs.map((e) => e.attempt)).toEqual([1, 2, 3, 1])
        expect(h.given.success[0]).toStrictEqual({ ...sampleEvent('k:retry-one'), attempt: 1 })
        expect(await h.queue.deadLetters!()).toEqual([])
        expect(await h.queue.retryDead!('k:retry-one')).toBe(false)
        if (!without.has('stats')) expect(await stats(h)).toMatchObject({ done: 1, dead: 0 })
      }),
    )

    itDead('retryAllDead() puts every dead letter back and returns how many', () =>
      withQueue(async (h) => {
        let healthy = false
        await h.start(() => {
          if (!healthy) throw new Error('down')
        })
        await Promise.all(['k:all:1', 'k:all:2'].map((key) => h.queue.enqueue(sampleEvent(key))))
        await h.waitFor(() => h.given.dead.length === 2, 'two dead letters')
        healthy = true
        expect(await h.queue.retryAllDead!()).toBe(2)
        await h.waitFor(() => h.given.success.length === 2, 'both retried jobs')
        expect(h.given.success.map((e) => [e.key, e.attempt]).sort()).toEqual([
          ['k:all:1', 1],
          ['k:all:2', 1],
        ])
        expect(await h.queue.retryAllDead!()).toBe(0)
        expect(await h.queue.deadLetters!()).toEqual([])
      }),
    )

    itDead('discardDead(key) deletes a dead letter for good; a later enqueue of the key runs as new', () =>
      withQueue(async (h) => {
        let healthy = false
        await h.start(() => {
          if (!healthy) throw new Error('down')
        })
        await h.queue.enqueue(sampleEvent('k:discard'))
        await h.queue.enqueue(sampleEvent('k:keep'))
        await h.waitFor(() => h.given.dead.length === 2, 'two dead letters')
        expect(await h.queue.discardDead!('k:never-seen')).toBe(false)
        expect(await h.queue.discardDead!('k:discard')).toBe(true)
        expect(await h.queue.discardDead!('k:discard')).toBe(false)
        expect((await h.queue.deadLetters!()).map((letter) => letter.key)).toEqual(['k:keep'])
        if (!without.has('stats')) expect(await stats(h)).toMatchObject({ dead: 1 })
        expect(await h.queue.retryDead!('k:discard')).toBe(false)
        healthy = true
        await h.queue.enqueue(sampleEvent('k:discard', { payload: { second: 'life' } }))
        await h.waitFor(() => h.given.success.length === 1, 'the new job')
        expect(h.given.success[0]).toMatchObject({ key: 'k:discard', attempt: 1, payload: { second: 'life' } })
      }),
    )

    it('enqueue of a dead key revives it with the new event, exactly once even when enqueues race', () =>
      withQueue(async (h) => {
        let healthy = false
        await h.start(() => {
          if (!healthy) throw new Error('down')
        })
        const keys = Array.from({ length: 5 }, (_, i) => `k:revive:${i}`)
        await Promise.all(keys.map((key) => h.queue.enqueue(sampleEvent(key))))
        await h.waitFor(() => h.given.dead.length === keys.length, 'the dead letters')
        healthy = true
        const resend = (key: string) =>
          sampleEvent(key, { payload: { resent: key }, deliveryId: `dlv_resend_${key}`, receivedAt: 1_800_000_000_000 })
        await Promise.all(
          keys.flatMap((key) => [
            h.queue.enqueue(resend(key)),
            h.peer.enqueue(resend(key)),
            h.peer.enqueue(resend(key)),
          ]),
        )
        await h.waitFor(() => h.given.success.length === keys.length, 'the revived jobs')
        await sleep(300)
        for (const key of keys) {
          const runs = keysOf(h.runs, key)
          expect(runs.map((e) => e.attempt)).toEqual([1, 2, 3, 1])
          expect(runs[3]).toStrictEqual({ ...resend(key), attempt: 1 })
        }
        if (!without.has('deadLetters')) expect(await h.queue.deadLetters!()).toEqual([])
        // Done now: a further enqueue is a no-op again.
        await h.peer.enqueue(resend(keys[0]!))
        await sleep(200)
        expect(keysOf(h.runs, keys[0]!)).toHaveLength(4)
      }))

    it('close() waits for running handlers to finish, then refuses enqueue', () =>
      withQueue(async (h) => {
        let finished = 0
        await h.start(async () => {
          await sleep(150)
          finished++
        })
        await h.queue.enqueue(sampleEvent('k:drain'))
        await h.waitFor(() => h.runs.length === 1, 'the handler to start')
        await h.queue.close?.()
        expect(finished).toBe(1)
        await expect(h.queue.enqueue(sampleEvent('k:late'))).rejects.toThrow(/closed/)
      }))
  })
}
