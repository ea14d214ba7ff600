import { Hono } from 'hono'
import type Stripe from 'stripe'
import { capturingLogger } from '../support/log.js'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { hookguard } from '../../adapters/hono.js'
import { isHookguardError } from '../../src/errors.js'
import { stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { QueuedEvent, WebhookEvent } from '../../src/types/index.js'

const provider = stripe({ secret: 'whsec_test_hono_adapter_01234' })
const body = (id: string): string => JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } })

function setup() {
  const enqueued: QueuedEvent[] = []
  const logs: string[] = []
  const receiver = createReceiver({
    provider,
    queue: { enqueue: async (event) => void enqueued.push(event) },
    logger: capturingLogger(logs),
  })
  return { receiver, enqueued, logs }
}

async function post(app: Hono<any>, id: string, tamper = false): Promise<Response> {
  const signed = await signRequest(provider, { body: body(id) })
  return app.request('/hook', {
    method: 'POST',
    headers: signed.headers,
    body: tamper ? `${signed.body as string} ` : (signed.body as string),
  })
}

describe('hookguard/hono', () => {
  it('works with app.request() and no server', async () => {
    const { receiver, enqueued } = setup()
    const app = new Hono()
    app.post('/hook', hookguard(receiver))
    const res = await post(app, 'evt_hono')
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true, status: 'accepted', id: 'evt_hono' })
    expect(enqueued.map((e) => e.id)).toEqual(['evt_hono'])
  })

  it('reads bytes an earlier middleware cached through c.req.json()', async () => {
    const { receiver, enqueued } = setup()
    const app = new Hono()
    app.post(
      '/hook',
      async (c, next) => {
        await c.req.json()
        await next()
      },
      hookguard(receiver),
    )
    const res = await post(app, 'evt_cached')
    expect(res.status).toBe(200)
    expect(enqueued).toHaveLength(1)
  })

  it('refuses a body read from c.req.raw before it (500 body.consumed + a log line naming the fix)', async () => {
    const { receiver, enqueued, logs } = setup()
    const app = new Hono()
    app.post(
      '/hook',
      async (c, next) => {
        await c.req.raw.arrayBuffer()
        await next()
      },
      hookguard(receiver),
    )
    const res = await post(app, 'evt_raw_read')
    expect(res.status).toBe(500)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body.consumed')
    expect(enqueued).toHaveLength(0)
    expect(logs.join('\n')).toMatch(/Mount hookguard first/)
  })

  it("errors: 'throw' raises an HTTPException carrying hookguard's response, for app.onError", async () => {
    const { receiver } = setup()
    const app = new Hono()
    const caught: unknown[] = []
    app.post('/hook', hookguard(receiver, { errors: 'throw' }))
    app.onError((error, c) => {
      caught.push(error)
      if (error instanceof HTTPException) return c.json({ mine: error.status }, error.status)
      return c.text('other', 500)
    })
    const res = await post(app, 'evt_throw', true)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ mine: 401 })
    const exception = caught[0] as HTTPException
    expect(exception).toBeInstanceOf(HTTPException)
    expect(exception.getResponse().status).toBe(401)
    expect(isHookguardError(exception.cause)).toBe(true)
    expect(exception.cause).toMatchObject({ code: 'signature.invalid', status: 401 })
  })

  it('inline mode: typed c.get("webhook"), complete on 2xx, release on a throw; the body stays readable', async () => {
    const { receiver, enqueued } = setup()
    const app = new Hono()
    app.onError((_error, c) => c.text('handler failed', 500))
    const seen: Array<{ event: WebhookEvent<Stripe.Event>; text: string }> = []
    let calls = 0
    app.post('/hook', hookguard(receiver, { inline: true }), async (c) => {
      const event = c.get('webhook')
      expectTypeOf(event).toEqualTypeOf<WebhookEvent<Stripe.Event>>()
      calls++
      if (calls === 1) throw new Error('my queue is down')
      seen.push({ event, text: await c.req.text() })
      return c.json({ queued: event.id }, 202)
    })
    expect((await post(app, 'evt_inline')).status).toBe(500)
    const ok = await post(app, 'evt_inline')
    expect(ok.status).toBe(202)
    expect(await ok.json()).toEqual({ queued: 'evt_inline' })
    const dup = await post(app, 'evt_inline')
    expect(dup.status).toBe(200)
    expect(((await dup.json()) as { status: string }).status).toBe('duplicate')
    expect(calls).toBe(2)
    expect(seen[0]!.text).toBe(body('evt_inline'))
    expect(enqueued).toHaveLength(0)
  })

  it('throws a TypeError at construction for bad options', () => {
    const { receiver } = setup()
    expect(() => hookguard(receiver, { errors: 'next' as 'throw' })).toThrow(/errors must be one of 'respond', 'throw'/)
    expect(() => hookguard(receiver, { bodyTimeoutMs: -1 })).toThrow(/bodyTimeoutMs/)
  })
})
