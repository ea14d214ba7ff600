/**
 * hookguard/fetch for serverless functions: inline mode (the handler runs
 * before the response) and waitUntil (the platform keeps the in-process
 * worker alive after it). The process-level proof, an instance frozen right
 * after its response, is serverless-freeze.test.ts.
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { hookguard, type FetchHandler } from '../../adapters/fetch.js'
import { isKeptAlive } from '../../src/internal/serverless.js'
import { memoryQueue } from '../../src/queues/memory.js'
import { stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { QueuedEvent, WebhookEvent } from '../../src/types/index.js'
import { capturingLogger } from '../support/log.js'

const SECRET = 'whsec_test_fetch_serverless_0123'
const provider = stripe({ secret: SECRET })

async function delivery(id: string, tamper = false): Promise<Request> {
  const raw = JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } })
  const signed = await signRequest(provider, { body: raw })
  return new Request('https://app.example/api/webhooks/stripe', {
    method: 'POST',
    headers: signed.headers,
    body: tamper ? `${raw} ` : raw,
  })
}

function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void
  const wait = new Promise<void>((resolve) => (open = resolve))
  return { wait, open }
}

/** Settles `promise` into a flag the test can read without awaiting it. */
function track(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false }
  void promise.finally(() => (state.settled = true))
  return state
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20))

describe('hookguard/fetch inline mode', () => {
  it('answers only after the handler finished, with the handler given the event and the Request', async () => {
    const release = gate()
    const seen: Array<[WebhookEvent, Request]> = []
    const handle = hookguard(
      { provider, logger: false },
      {
        inline: async (event, request) => {
          seen.push([event, request])
          await release.wait
        },
      },
    )
    const request = await delivery('evt_before')
    const pending = handle(request)
    const answer = track(pending)
    await tick()
    expect(seen).toHaveLength(1)
    expect(answer.settled).toBe(false)
    release.open()
    const res = await pending
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, status: 'accepted', id: 'evt_before' })
    expect(seen[0]![0]).toMatchObject({ id: 'evt_before', attempt: 1, payload: { type: 'invoice.paid' } })
    expect(seen[0]![1]).toBe(request)
  })

  it('a throwing handler gets 500 handler.failed and a log line; the retry runs it again; then duplicates are 200', async () => {
    const lines: string[] = []
    let calls = 0
    const enqueued: QueuedEvent[] = []
    const handle = hookguard(
      { provider, queue: { enqueue: async (e) => void enqueued.push(e) }, logger: capturingLogger(lines) },
      {
        inline: async () => {
          if (++calls === 1) throw new Error('ledger API timed out')
        },
      },
    )
    const failed = await handle(await delivery('evt_flaky'))
    expect(failed.status).toBe(500)
    expect(await failed.json()).toEqual({ ok: false, error: { code: 'handler.failed', message: 'Internal error' } })
    expect(lines.some((l) => /inline handler failed.*Error: ledger API timed out/.test(l))).toBe(true)
    expect(lines.join('\n')).not.toContain(SECRET)
    const retry = await handle(await delivery('evt_flaky'))
    expect(retry.status).toBe(200)
    expect(await retry.json()).toEqual({ ok: true, status: 'accepted', id: 'evt_flaky' })
    const resend = await handle(await delivery('evt_flaky'))
    expect(await resend.json()).toEqual({ ok: true, status: 'duplicate', id: 'evt_flaky' })
    expect(calls).toBe(2)
    expect(enqueued).toEqual([])
  })

  it('a handler returning false is a 500 too, and the key is released', async () => {
    let calls = 0
    const handle = hookguard({ provider, logger: false }, { inline: () => ++calls > 1 })
    expect((await handle(await delivery('evt_false'))).status).toBe(500)
    expect((await handle(await delivery('evt_false'))).status).toBe(200)
    expect(calls).toBe(2)
  })

  it('never runs the handler for a forged delivery', async () => {
    let calls = 0
    const handle = hookguard({ provider, logger: false }, { inline: () => void calls++ })
    expect((await handle(await delivery('evt_forged', true))).status).toBe(401)
    expect(calls).toBe(0)
  })
})

describe('hookguard/fetch waitUntil', () => {
  afterEach(() => {
    delete (globalThis as Record<symbol, unknown>)[Symbol.for('@vercel/request-context')]
  })

  /** A receiver whose memory-queue handler waits for `release`, recording what ran. */
  function gatedReceiver() {
    const release = gate()
    const ran: string[] = []
    const queue = memoryQueue()
    const receiver = createReceiver({
      provider,
      queue,
      logger: false,
      handler: async (event) => {
        await release.wait
        ran.push(event.id)
      },
    })
    return { receiver, queue, release, ran }
  }

  it('hands the platform a promise that settles only when the memory queue’s handler finished', async () => {
    const { receiver, release, ran } = gatedReceiver()
    const promises: Array<Promise<unknown>> = []
    const handle = hookguard(receiver, { waitUntil: (p) => void promises.push(p) })
    const res = await handle(await delivery('evt_kept'))
    expect(res.status).toBe(200)
    expect(promises).toHaveLength(1)
    const kept = track(promises[0]!)
    await tick()
    expect(kept.settled).toBe(false)
    release.open()
    await promises[0]
    expect(ran).toEqual(['evt_kept'])
    await receiver.close()
  })

  it("calls Workers' ctx.waitUntil as a method of ctx (request, env, ctx)", async () => {
    const { receiver, release, queue } = gatedReceiver()
    class ExecutionContext {
      readonly #promises: Array<Promise<unknown>> = []
      waitUntil(promise: Promise<unknown>): void {
        // A private field: a detached call would throw, as on workerd.
        this.#promises.push(promise)
      }
      get count(): number {
        return this.#promises.length
      }
    }
    const ctx = new ExecutionContext()
    expect(isKeptAlive(queue)).toBe(false)
    const res = await hookguard(receiver)(await delivery('evt_workers'), { SECRET: 'env binding' }, ctx)
    expect(res.status).toBe(200)
    expect(ctx.count).toBe(1)
    expect(isKeptAlive(queue)).toBe(true)
    release.open()
    await receiver.close()
  })

  it('uses a waitUntil on the second argument (Netlify’s context, Vercel Edge’s event)', async () => {
    const { receiver, release } = gatedReceiver()
    const promises: Array<Promise<unknown>> = []
    await hookguard(receiver)(await delivery('evt_netlify'), { waitUntil: (p: Promise<unknown>) => promises.push(p) })
    expect(promises).toHaveLength(1)
    release.open()
    await receiver.close()
  })

  it('uses the platform request context that Next.js after() reads (@vercel/request-context)', async () => {
    const { receiver, release } = gatedReceiver()
    const promises: Array<Promise<unknown>> = []
    ;(globalThis as Record<symbol, unknown>)[Symbol.for('@vercel/request-context')] = {
      get: () => ({ waitUntil: (p: Promise<unknown>) => promises.push(p) }),
    }
    await hookguard(receiver)(await delivery('evt_vercel'))
    expect(promises).toHaveLength(1)
    release.open()
    await receiver.close()
  })

  it('waitUntil: false turns detection off; a queue whose worker runs elsewhere never asks', async () => {
    const first = gatedReceiver()
    const calls: unknown[] = []
    const ctx = { waitUntil: (p: unknown) => calls.push(p) }
    await hookguard(first.receiver, { waitUntil: false })(await delivery('evt_off'), {}, ctx)
    expect(calls).toEqual([])
    expect(isKeptAlive(first.queue)).toBe(false)
    first.release.open()
    await first.receiver.close()
    // No idle(): a durable queue's worker is another process, nothing to keep alive here.
    const durable = createReceiver({ provider, logger: false, queue: { enqueue: async () => {} } })
    expect((await hookguard(durable)(await delivery('evt_durable'), {}, ctx)).status).toBe(200)
    expect(calls).toEqual([])
  })
})

describe('hookguard/fetch options', () => {
  const options = { provider, logger: false as const }

  it('throws a TypeError naming the fix at construction', () => {
    expect(() => hookguard(options, { inline: true as never })).toThrow(/inline must be a function/)
    expect(() => hookguard(options, { waitUntil: 'after' as never })).toThrow(/waitUntil must be a function/)
    expect(() => hookguard(options, { inline: () => {}, waitUntil: () => {} })).toThrow(/inline or waitUntil/)
    expect(() => hookguard(options, { logger: {} as never })).toThrow(/logger must have warn/)
  })

  it('types the inline handler’s event from the receiver options’ schema', () => {
    const schema = z.object({ id: z.string(), type: z.literal('invoice.paid') })
    hookguard(
      { provider, schema, logger: false },
      {
        inline: (event, request) => {
          expectTypeOf(event.payload.type).toEqualTypeOf<'invoice.paid'>()
          expectTypeOf(request).toEqualTypeOf<Request>()
        },
      },
    )
  })

  it('fits a Next.js route export and a Workers fetch handler', () => {
    const handler = hookguard(options)
    expectTypeOf(handler).toEqualTypeOf<FetchHandler>()
    type NextRoute = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response>
    type WorkersFetch = (
      request: Request,
      env: { SECRET: string },
      ctx: { waitUntil(p: Promise<unknown>): void },
    ) => Promise<Response>
    expectTypeOf(handler).toMatchTypeOf<NextRoute>()
    expectTypeOf(handler).toMatchTypeOf<WorkersFetch>()
  })
})
