import { describe, expect, it, vi } from 'vitest'
import {
  createReceiver,
  github,
  isHookguardError,
  memoryQueue,
  memoryStore,
  stripe,
  HookguardError,
  type DedupeStore,
  type Outcome,
  type QueuedEvent,
  type WebhookQueue,
} from '../../src/index.js'
import { fixedClock, signRequest } from '../../src/testing.js'

const SECRET = 'whsec_test_4eC39HqLyjWDarjtT1zdp7dc'
const T0 = 1_700_000_000_000

function setup(overrides: Partial<Parameters<typeof createReceiver>[0]> = {}) {
  const clock = fixedClock(T0)
  const provider = stripe({ secret: SECRET })
  const enqueued: QueuedEvent[] = []
  const queue: WebhookQueue = { enqueue: async (event) => void enqueued.push(event) }
  const outcomes: Outcome[] = []
  const receiver = createReceiver({
    provider,
    queue,
    now: clock,
    logger: false,
    onOutcome: (outcome) => void outcomes.push(outcome),
    ...overrides,
  })
  const body = (id = 'evt_1', extra: Record<string, unknown> = {}) =>
    JSON.stringify({ id, type: 'payment_intent.succeeded', ...extra })
  const signed = async (raw: string, timestamp = Math.floor(clock() / 1000)) => {
    const { headers } = await signRequest(provider, { body: raw, timestamp })
    return { method: 'POST', headers, body: Buffer.from(raw) }
  }
  return { clock, provider, receiver, enqueued, outcomes, body, signed }
}

describe('createReceiver configuration', () => {
  const provider = stripe({ secret: SECRET })

  it('requires a provider and says how to make one', () => {
    expect(() => createReceiver({} as never)).toThrow(/provider is required.*stripe\(\{ secret/)
    expect(() => createReceiver(undefined as never)).toThrow(TypeError)
  })

  it.each([
    ['maxBodyBytes', 0],
    ['maxBodyBytes', -1],
    ['maxBodyBytes', Number.NaN],
    ['leaseMs', 1.5],
    ['storeTimeoutMs', 0],
    ['queueTimeoutMs', Infinity],
    ['retryAfterSeconds', -5],
  ])('refuses %s = %s with a TypeError', (option, value) => {
    expect(() => createReceiver({ provider, [option]: value })).toThrow(TypeError)
  })

  it('refuses a retention shorter than twice the tolerance', () => {
    expect(() => createReceiver({ provider, retentionMs: 599_999 })).toThrow(/at least twice/)
    expect(() => createReceiver({ provider, retentionMs: 600_000 })).not.toThrow()
    expect(() =>
      createReceiver({ provider: stripe({ secret: SECRET, tolerance: 3600 }), retentionMs: 3_600_000 }),
    ).toThrow(/at least twice/)
  })

  it('refuses a lease shorter than one delivery budget', () => {
    expect(() => createReceiver({ provider, leaseMs: 1000 })).toThrow(/leaseMs/)
  })

  it('refuses stores and queues that lack the interface, and a handler on a queue without a worker', () => {
    expect(() =>
      createReceiver({ provider, store: { reserve: async () => ({ status: 'duplicate' }) } as never }),
    ).toThrow(/store.complete/)
    expect(() => createReceiver({ provider, queue: {} as never })).toThrow(/queue.enqueue/)
    expect(() => createReceiver({ provider, queue: { enqueue: async () => {} }, handler: () => {} })).toThrow(
      /no process\(\)/,
    )
  })

  it('refuses a schema that is not a Standard Schema, and an unsupported success status', () => {
    expect(() => createReceiver({ provider, schema: { parse() {} } as never })).toThrow(/Standard Schema/)
    expect(() => createReceiver({ provider, successStatus: 299 as never })).toThrow(/successStatus/)
  })
})

describe('receiver.handle status contract', () => {
  it('accepts a valid delivery: 200, small JSON body, one enqueue with the event fields', async () => {
    const { receiver, enqueued, body, signed } = setup()
    const result = await receiver.handle(await signed(body('evt_ok')))
    expect(result.status).toBe(200)
    expect(JSON.parse(result.body)).toEqual({ ok: true, status: 'accepted', id: 'evt_ok' })
    expect(result.headers['content-type']).toMatch(/application\/json/)
    expect(result.outcome).toMatchObject({
      kind: 'accepted',
      provider: 'stripe',
      id: 'evt_ok',
      key: 'stripe:default:evt_ok',
      type: 'payment_intent.succeeded',
    })
    expect(enqueued).toHaveLength(1)
    expect(enqueued[0]).toMatchObject({
      id: 'evt_ok',
      key: 'stripe:default:evt_ok',
      provider: 'stripe',
      type: 'payment_intent.succeeded',
      timestamp: T0 / 1000,
      receivedAt: T0,
      payload: { id: 'evt_ok', type: 'payment_intent.succeeded' },
    })
    expect(enqueued[0]!.headers['stripe-signature']).toBe('[redacted]')
  })

  it('answers a duplicate of a completed event with 200 marked duplicate, and does not enqueue again', async () => {
    const { receiver, enqueued, body, signed } = setup()
    const request = await signed(body('evt_dup'))
    expect((await receiver.handle(request)).status).toBe(200)
    const again = await receiver.handle(await signed(body('evt_dup')))
    expect(again.status).toBe(200)
    expect(again.headers['hookguard-duplicate']).toBe('true')
    expect(JSON.parse(again.body)).toMatchObject({ status: 'duplicate' })
    expect(again.outcome.kind).toBe('duplicate')
    expect(enqueued).toHaveLength(1)
  })

  it('answers 409 with Retry-After while the same event is in flight, never 2xx before the winner completes', async () => {
    let releaseEnqueue!: () => void
    const gate = new Promise<void>((resolve) => (releaseEnqueue = resolve))
    const enqueued: QueuedEvent[] = []
    const { receiver, body, signed } = setup({
      queue: {
        enqueue: async (e) => {
          await gate
          enqueued.push(e)
        },
      },
    })
    const first = receiver.handle(await signed(body('evt_race')))
    await new Promise((resolve) => setTimeout(resolve, 10))
    const second = await receiver.handle(await signed(body('evt_race')))
    expect(second.status).toBe(409)
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(second.outcome.kind).toBe('in_flight')
    releaseEnqueue()
    expect((await first).status).toBe(200)
    const third = await receiver.handle(await signed(body('evt_race')))
    expect(third.outcome.kind).toBe('duplicate')
    expect(enqueued).toHaveLength(1)
  })

  it('answers 405 with Allow: POST for other methods and does no work', async () => {
    const reserve = vi.fn()
    const { receiver, enqueued } = setup({ store: { reserve, complete: vi.fn(), release: vi.fn() } })
    for (const method of ['GET', 'PUT', 'DELETE', 'HEAD', '']) {
      const result = await receiver.handle({ method, headers: {}, body: '' })
      expect(result.status).toBe(405)
      expect(result.headers.allow).toBe('POST')
    }
    expect(reserve).not.toHaveBeenCalled()
    expect(enqueued).toHaveLength(0)
  })

  it('answers 413 from Content-Length before looking at the body, and from the body length', async () => {
    const { receiver, body, signed } = setup({ maxBodyBytes: 100 })
    const result = await receiver.handle({ method: 'POST', headers: { 'content-length': '101' }, body: '' })
    expect(result.status).toBe(413)
    const big = await signed(body('evt_big', { pad: 'x'.repeat(200) }))
    expect((await receiver.handle(big)).status).toBe(413)
  })

  it('answers 415 for a Content-Encoding other than identity', async () => {
    const { receiver, body, signed } = setup()
    for (const encoding of ['gzip', 'br', 'deflate', 'x-unknown']) {
      const request = await signed(body('evt_enc'))
      const result = await receiver.handle({
        ...request,
        headers: { ...request.headers, 'content-encoding': encoding },
      })
      expect(result.status).toBe(415)
    }
    const request = await signed(body('evt_identity'))
    expect(
      (await receiver.handle({ ...request, headers: { ...request.headers, 'content-encoding': 'identity' } })).status,
    ).toBe(200)
  })

  it('answers 401 with one generic body for forged, stale and future deliveries; the reason goes to onOutcome', async () => {
    const { receiver, outcomes, body, signed, clock, enqueued } = setup()
    const forged = await signed(body('evt_forged'))
    forged.body = Buffer.from(body('evt_forged', { amount: 1 }))
    const stale = await signed(body('evt_stale'), Math.floor(clock() / 1000) - 301)
    const future = await signed(body('evt_future'), Math.floor(clock() / 1000) + 301)
    const bodies = new Set<string>()
    for (const request of [forged, stale, future]) {
      const result = await receiver.handle(request)
      expect(result.status).toBe(401)
      bodies.add(result.body)
    }
    expect(bodies.size).toBe(1)
    expect(JSON.parse([...bodies][0]!)).toEqual({
      ok: false,
      error: { code: 'unauthorized', message: 'Webhook verification failed' },
    })
    expect(outcomes.map((o) => (o.kind === 'rejected' ? o.code : o.kind))).toEqual([
      'signature.invalid',
      'timestamp.out_of_range',
      'timestamp.out_of_range',
    ])
    expect(enqueued).toHaveLength(0)
  })

  it('answers 400 for a body that is not JSON after a valid signature, and for a missing id', async () => {
    const { receiver, signed } = setup()
    const notJson = await receiver.handle(await signed('{"id": "evt_1",'))
    expect(notJson.status).toBe(400)
    expect(JSON.parse(notJson.body).error.code).toBe('body.malformed')
    const badUtf8 = await signed('x')
    badUtf8.body = Buffer.from([0x7b, 0xff, 0x7d])
    const { headers } = await signRequest(stripe({ secret: SECRET }), { body: badUtf8.body, timestamp: T0 / 1000 })
    expect((await receiver.handle({ method: 'POST', headers, body: badUtf8.body })).status).toBe(400)
    const noId = await receiver.handle(await signed(JSON.stringify({ type: 'x' })))
    expect(noId.status).toBe(400)
    expect(JSON.parse(noId.body).error.code).toBe('id.missing')
  })

  it('refuses event ids that cannot be store keys: over 512 characters or with control characters', async () => {
    const { receiver, enqueued, body, signed } = setup()
    for (const id of ['x'.repeat(513), 'evt_\u0000nul', 'evt_\nnewline']) {
      const result = await receiver.handle(await signed(body(id)))
      expect(result.status).toBe(400)
      expect(JSON.parse(result.body).error.code).toBe('id.invalid')
    }
    expect((await receiver.handle(await signed(body('y'.repeat(512))))).status).toBe(200)
    expect(enqueued).toHaveLength(1)
  })

  it('answers 400 when the schema itself throws', async () => {
    const schema = {
      '~standard': {
        validate: () => {
          throw new Error('schema bug')
        },
      },
    }
    const { receiver, body, signed } = setup({ schema: schema as never })
    const result = await receiver.handle(await signed(body('evt_schema_throws')))
    expect(result.status).toBe(400)
    expect(JSON.parse(result.body).error.code).toBe('payload.invalid')
  })

  it('handles an empty body without a 5xx', async () => {
    const { receiver, signed } = setup()
    expect((await receiver.handle({ method: 'POST', headers: {}, body: '' })).status).toBe(401)
    expect((await receiver.handle(await signed(''))).status).toBe(400)
  })

  it('answers 500 with a log line naming the fix when the body arrives already parsed', async () => {
    const logger = { warn: vi.fn(), error: vi.fn() }
    const { receiver } = setup({ logger })
    const result = await receiver.handle({ method: 'POST', headers: {}, body: { id: 'evt_1' } as never })
    expect(result.status).toBe(500)
    expect(JSON.parse(result.body).error.code).toBe('body.consumed')
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({
        code: 'body.consumed',
        reason: expect.stringMatching(/raw bytes.*before any JSON body parser/),
      }),
      expect.any(String),
    )
  })

  it('accepts Fetch Headers, plain objects with array values, and string bodies', async () => {
    const { receiver, provider, body } = setup()
    const raw = body('evt_headers')
    const { headers } = await signRequest(provider, { body: raw, timestamp: T0 / 1000 })
    expect((await receiver.handle({ method: 'post', headers: new Headers(headers), body: raw })).status).toBe(200)
    const raw2 = body('evt_array')
    const signed2 = await signRequest(provider, { body: raw2, timestamp: T0 / 1000 })
    const arrayHeaders = Object.fromEntries(Object.entries(signed2.headers).map(([k, v]) => [k, [v]]))
    expect((await receiver.handle({ method: 'POST', headers: arrayHeaders, body: raw2 })).status).toBe(200)
  })

  it('refuses a signature header given twice rather than guessing', async () => {
    const { receiver, provider, body } = setup()
    const raw = body('evt_twice')
    const { headers } = await signRequest(provider, { body: raw, timestamp: T0 / 1000 })
    const sig = headers['stripe-signature']!
    const result = await receiver.handle({
      method: 'POST',
      headers: { 'Stripe-Signature': sig, 'stripe-signature': sig },
      body: raw,
    })
    expect(result.status).toBe(400)
    expect(result.outcome).toMatchObject({ kind: 'rejected', code: 'header.duplicated' })
  })

  it('uses the configured success status', async () => {
    const { receiver, body, signed } = setup({ successStatus: 202 })
    expect((await receiver.handle(await signed(body('evt_202')))).status).toBe(202)
    const noContent = setup({ successStatus: 204 })
    const result = await noContent.receiver.handle(await noContent.signed(noContent.body('evt_204')))
    expect(result.status).toBe(204)
    expect(result.body).toBe('')
  })

  it('validates the payload with a Standard Schema (zod 4): 400 payload.invalid, nothing enqueued', async () => {
    const { z } = await import('zod')
    const schema = z.object({ id: z.string(), type: z.literal('payment_intent.succeeded'), amount: z.number() })
    const { receiver, enqueued, body, signed } = setup({ schema })
    const bad = await receiver.handle(await signed(body('evt_schema')))
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body).error.code).toBe('payload.invalid')
    expect((await receiver.handle(await signed(body('evt_schema2', { amount: 5 })))).status).toBe(200)
    expect(enqueued.map((e) => e.id)).toEqual(['evt_schema2'])
  })

  it('keeps dedupe keys of two receivers of one provider apart by name', async () => {
    const provider = stripe({ secret: SECRET })
    const store = memoryStore()
    const a = createReceiver({ provider, store, name: 'account-a', queue: { enqueue: async () => {} }, now: () => T0 })
    const b = createReceiver({ provider, store, name: 'account-b', queue: { enqueue: async () => {} }, now: () => T0 })
    const raw = JSON.stringify({ id: 'evt_same', type: 't' })
    const { headers } = await signRequest(provider, { body: raw, timestamp: T0 / 1000 })
    expect((await a.handle({ method: 'POST', headers, body: raw })).outcome.kind).toBe('accepted')
    expect((await b.handle({ method: 'POST', headers, body: raw })).outcome.kind).toBe('accepted')
    expect((await b.handle({ method: 'POST', headers, body: raw })).outcome.kind).toBe('duplicate')
  })
})

describe('store and queue failures', () => {
  function failingStore(
    inner: DedupeStore,
    fail: { reserve?: 'throw' | 'hang'; complete?: 'throw' },
  ): DedupeStore & { released: string[] } {
    const released: string[] = []
    return {
      released,
      reserve: (key, lease) =>
        fail.reserve === 'throw'
          ? Promise.reject(new Error('ECONNREFUSED'))
          : fail.reserve === 'hang'
            ? new Promise(() => {})
            : inner.reserve(key, lease),
      complete: (key, token, ttl) =>
        fail.complete === 'throw' ? Promise.reject(new Error('down')) : inner.complete(key, token, ttl),
      release: (key, token) => {
        released.push(key)
        return inner.release(key, token)
      },
    }
  }

  it('answers 503 with Retry-After when enqueue rejects, releases the reservation, and the retry enqueues once', async () => {
    let failNext = true
    const enqueued: QueuedEvent[] = []
    const store = failingStore(memoryStore(), {})
    const { receiver, body, signed } = setup({
      store,
      queue: {
        enqueue: async (event) => {
          if (failNext) {
            failNext = false
            throw new Error('queue down')
          }
          enqueued.push(event)
        },
      },
    })
    const first = await receiver.handle(await signed(body('evt_q')))
    expect(first.status).toBe(503)
    expect(first.headers['retry-after']).toBe('5')
    expect(first.outcome).toMatchObject({ kind: 'unavailable', code: 'queue.unavailable' })
    expect(store.released).toEqual(['stripe:default:evt_q'])
    expect((await receiver.handle(await signed(body('evt_q')))).status).toBe(200)
    expect((await receiver.handle(await signed(body('evt_q')))).outcome.kind).toBe('duplicate')
    expect(enqueued).toHaveLength(1)
  })

  it('answers 503 when enqueue throws synchronously', async () => {
    const { receiver, body, signed } = setup({
      queue: {
        enqueue: () => {
          throw new Error('sync throw')
        },
      },
    })
    expect((await receiver.handle(await signed(body('evt_sync')))).status).toBe(503)
  })

  it('answers 503 within the budget when enqueue hangs, and releases the reservation', async () => {
    const store = failingStore(memoryStore(), {})
    const { receiver, body, signed } = setup({
      store,
      queue: { enqueue: () => new Promise(() => {}) },
      queueTimeoutMs: 50,
    })
    const result = await receiver.handle(await signed(body('evt_hang')))
    expect(result.status).toBe(503)
    expect(result.outcome).toMatchObject({ code: 'queue.timeout' })
    expect(store.released).toEqual(['stripe:default:evt_hang'])
  })

  it('answers 503 with Retry-After when the store throws, and enqueues nothing', async () => {
    const { receiver, enqueued, body, signed } = setup({ store: failingStore(memoryStore(), { reserve: 'throw' }) })
    const result = await receiver.handle(await signed(body('evt_store')))
    expect(result.status).toBe(503)
    expect(result.headers['retry-after']).toBeDefined()
    expect(result.outcome).toMatchObject({ kind: 'unavailable', code: 'store.unavailable' })
    expect(enqueued).toHaveLength(0)
  })

  it('answers 503 within the store budget when the store hangs', async () => {
    const { receiver, enqueued, body, signed } = setup({
      store: failingStore(memoryStore(), { reserve: 'hang' }),
      storeTimeoutMs: 50,
    })
    const started = Date.now()
    const result = await receiver.handle(await signed(body('evt_slow')))
    expect(result.status).toBe(503)
    expect(result.outcome).toMatchObject({ code: 'store.timeout' })
    expect(Date.now() - started).toBeLessThan(2000)
    expect(enqueued).toHaveLength(0)
  })

  it('still answers 200 when complete fails after a durable enqueue (the event is safe), and warns', async () => {
    const logger = { warn: vi.fn(), error: vi.fn() }
    const { receiver, enqueued, body, signed } = setup({
      store: failingStore(memoryStore(), { complete: 'throw' }),
      logger,
    })
    const result = await receiver.handle(await signed(body('evt_complete')))
    expect(result.status).toBe(200)
    expect(result.outcome).toMatchObject({ kind: 'accepted', warning: expect.stringContaining('complete') })
    expect(enqueued).toHaveLength(1)
    expect(logger.warn).toHaveBeenCalled()
  })

  it('treats a store that returns nonsense as unavailable', async () => {
    const store = {
      reserve: async () => ({ status: 'maybe' }),
      complete: async () => true,
      release: async () => true,
    } as unknown as DedupeStore
    const { receiver, body, signed } = setup({ store })
    expect((await receiver.handle(await signed(body('evt_weird')))).status).toBe(503)
  })
})

describe('hooks, inline delivery and close', () => {
  it('a throwing or rejecting onOutcome hook does not change the response', async () => {
    for (const onOutcome of [
      () => {
        throw new Error('boom')
      },
      async () => {
        throw new Error('boom')
      },
    ]) {
      const { receiver, body, signed } = setup({ onOutcome })
      expect((await receiver.handle(await signed(body('evt_hook')))).status).toBe(200)
    }
  })

  it('inline delivery completes the key on success and releases it when the handler throws', async () => {
    const { receiver, enqueued, body, signed } = setup()
    const seen: string[] = []
    const ok = await receiver.handle(await signed(body('evt_inline')), {
      deliver: async (event) => void seen.push(event.id),
    })
    expect(ok.status).toBe(200)
    expect(seen).toEqual(['evt_inline'])
    expect(enqueued).toHaveLength(0)
    expect((await receiver.handle(await signed(body('evt_inline')))).outcome.kind).toBe('duplicate')

    const failure = new Error('handler failed')
    await expect(
      receiver.handle(await signed(body('evt_inline_fail')), {
        deliver: async () => {
          throw failure
        },
      }),
    ).rejects.toBe(failure)
    const retry = await receiver.handle(await signed(body('evt_inline_fail')), { deliver: async () => true })
    expect(retry.outcome.kind).toBe('accepted')
  })

  it('runs the handler through the default memory queue after the 2xx, with retries', async () => {
    const attempts: number[] = []
    const queue = memoryQueue({ backoffMs: 1, maxBackoffMs: 5 })
    const { receiver, body, signed } = setup({
      queue,
      handler: async (event) => {
        attempts.push(event.attempt)
        if (event.attempt === 1) throw new Error('first try fails')
      },
    })
    expect((await receiver.handle(await signed(body('evt_worker')))).status).toBe(200)
    await queue.idle()
    expect(attempts).toEqual([1, 2])
  })

  it('close() waits for requests in progress, drains the worker, then answers 503', async () => {
    const done: string[] = []
    const queue = memoryQueue()
    const { receiver, body, signed } = setup({
      queue,
      handler: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 50))
        done.push(event.id)
      },
    })
    expect((await receiver.handle(await signed(body('evt_close')))).status).toBe(200)
    await receiver.close()
    expect(done).toEqual(['evt_close'])
    const after = await receiver.handle(await signed(body('evt_after')))
    expect(after.status).toBe(503)
    expect(after.outcome).toMatchObject({ code: 'receiver.closed' })
  })

  it('reject() maps adapter-side failures to the status contract', () => {
    const { receiver, outcomes } = setup()
    expect(receiver.reject(new HookguardError('body.too_large')).status).toBe(413)
    expect(receiver.reject(new HookguardError('body.timeout')).status).toBe(408)
    expect(receiver.reject(new Error('socket hang up')).status).toBe(400)
    expect(outcomes).toHaveLength(3)
  })
})

describe('secrets never leak', () => {
  it('no response, outcome or error message contains the secret or a signature', async () => {
    const { receiver, outcomes, body, signed } = setup()
    const valid = await signed(body('evt_leak'))
    const signature = valid.headers['stripe-signature']!
    const v1 = signature.split('v1=')[1]!
    const tampered = { ...valid, body: Buffer.from(body('evt_leak', { x: 1 })) }
    const results = [
      await receiver.handle(tampered),
      await receiver.handle({ ...valid, headers: { 'stripe-signature': signature + ',t=1' } }),
    ]
    const text = JSON.stringify([results, outcomes])
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(v1)
    try {
      stripe({ secret: `  ${SECRET}` })
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(SECRET)
    }
  })

  it('errors carry a stable code, status and expose flag, and are recognised by the brand check', () => {
    const error = new HookguardError('signature.invalid', { reason: 'x' })
    expect(isHookguardError(error)).toBe(true)
    expect(isHookguardError({ ...error })).toBe(false)
    expect(error).toMatchObject({ code: 'signature.invalid', status: 401, statusCode: 401, expose: true })
    expect(isHookguardError(new Error('x'))).toBe(false)
  })

  it('GitHub events carry the delivery id and event type from headers', async () => {
    const provider = github({ secret: "It's a Secret to Everybody" })
    const enqueued: QueuedEvent[] = []
    const receiver = createReceiver({ provider, queue: { enqueue: async (e) => void enqueued.push(e) } })
    const raw = JSON.stringify({ zen: 'hi' })
    const { headers } = await signRequest(provider, {
      body: raw,
      id: 'd7b5f0c2-0000-4000-8000-000000000001',
      headers: { 'x-github-event': 'ping' },
    })
    expect((await receiver.handle({ method: 'POST', headers, body: raw })).status).toBe(200)
    expect(enqueued[0]).toMatchObject({ id: 'd7b5f0c2-0000-4000-8000-000000000001', type: 'ping', provider: 'github' })
    expect(enqueued[0]!.timestamp).toBeUndefined()
    expect(enqueued[0]!.headers['x-hub-signature-256']).toBe('[redacted]')
  })
})
