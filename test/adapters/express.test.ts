import express, { type NextFunction, type Request, type Response } from 'express'
import { capturingLogger } from '../support/log.js'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { hookguard } from '../../adapters/express.js'
import { isHookguardError } from '../../src/errors.js'
import { github, stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { QueuedEvent, WebhookEvent } from '../../src/types/index.js'

const provider = stripe({ secret: 'whsec_test_express_adapter_0123' })
const body = (id: string): string => JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } })

function setup(extra: { logs?: string[] } = {}) {
  const enqueued: QueuedEvent[] = []
  const logs = extra.logs ?? []
  const receiver = createReceiver({
    provider,
    queue: { enqueue: async (event) => void enqueued.push(event) },
    logger: capturingLogger(logs),
  })
  return { receiver, enqueued, logs }
}

describe('hookguard/express raw body', () => {
  it('uses the Buffer from express.raw({ type: "*/*" }) mounted before it', async () => {
    const { receiver, enqueued } = setup()
    const app = express()
    app.use(express.raw({ type: '*/*' }))
    app.use('/hook', hookguard(receiver))
    const signed = await signRequest(provider, { body: body('evt_raw') })
    const res = await request(app)
      .post('/hook')
      .set(signed.headers)
      .send(signed.body as string)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ ok: true, status: 'accepted', id: 'evt_raw' })
    expect(enqueued.map((e) => e.id)).toEqual(['evt_raw'])
  })

  it('uses req.rawBody kept by a body-parser verify hook, next to express.json()', async () => {
    const { receiver, enqueued } = setup()
    const app = express()
    app.use(express.json({ verify: (req, _res, buf) => void ((req as unknown as { rawBody: Buffer }).rawBody = buf) }))
    app.use('/hook', hookguard(receiver))
    // Spacing that JSON.stringify(req.body) would not reproduce: only the raw bytes verify.
    const raw = `{ "id": "evt_verify",  "type": "invoice.paid" }`
    const signed = await signRequest(provider, { body: raw })
    const res = await request(app).post('/hook').set(signed.headers).send(raw)
    expect(res.status).toBe(200)
    expect(enqueued.map((e) => e.id)).toEqual(['evt_verify'])
  })

  it('refuses a body express.json() already parsed, even when JSON.stringify(req.body) would match the signature', async () => {
    const { receiver, enqueued, logs } = setup()
    const app = express()
    app.use(express.json())
    app.use('/hook', hookguard(receiver))
    const raw = body('evt_parsed')
    expect(JSON.stringify(JSON.parse(raw))).toBe(raw)
    const signed = await signRequest(provider, { body: raw })
    const res = await request(app).post('/hook').set(signed.headers).send(raw)
    expect(res.status).toBe(500)
    expect(res.body).toEqual({ ok: false, error: { code: 'body.consumed', message: 'Webhook receiver misconfigured' } })
    expect(enqueued).toHaveLength(0)
    expect(logs.join('\n')).toMatch(/express\.json\(\).*express\.raw\(\{ type: "\*\/\*" \}\).*rawBody/s)
  })

  it('refuses a form body express.urlencoded() already parsed (GitHub form deliveries)', async () => {
    const logs: string[] = []
    const gh = github({ secret: 'express-adapter-github-secret' })
    const receiver = createReceiver({ provider: gh, logger: capturingLogger(logs, ['error']) })
    const app = express()
    app.use(express.urlencoded({ extended: false }))
    app.use('/hook', hookguard(receiver))
    const form = `payload=${encodeURIComponent(JSON.stringify({ zen: 'hi' }))}`
    const signed = await signRequest(gh, {
      body: form,
      id: 'd-1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    const res = await request(app).post('/hook').set(signed.headers).send(form)
    expect(res.status).toBe(500)
    expect(res.body.error.code).toBe('body.consumed')
    expect(logs).toHaveLength(1)
    await receiver.close()
  })

  it('leaves the body alone for routes mounted after it: express.json() still works there', async () => {
    const { receiver } = setup()
    const app = express()
    app.use('/hook', hookguard(receiver))
    app.use(express.json())
    app.post('/other', (req, res) => void res.json({ got: req.body }))
    const res = await request(app).post('/other').send({ a: 1 })
    expect(res.body).toEqual({ got: { a: 1 } })
  })
})

describe("hookguard/express errors: 'next'", () => {
  it('passes non-2xx outcomes to next(err) as a HookguardError with status, expose and headers', async () => {
    const { receiver } = setup()
    const seen: unknown[] = []
    const app = express()
    app.use('/hook', hookguard(receiver, { errors: 'next' }))
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      seen.push(error)
      const e = error as { status: number; expose: boolean; message: string; headers: Record<string, string> }
      res
        .status(e.status)
        .set(e.headers)
        .json({ mine: e.expose ? e.message : 'hidden' })
    })
    const signed = await signRequest(provider, { body: body('evt_next') })
    const forged = await request(app)
      .post('/hook')
      .set(signed.headers)
      .send(`${signed.body as string} `)
    expect(forged.status).toBe(401)
    expect(forged.body).toEqual({ mine: 'Webhook verification failed' })
    expect(isHookguardError(seen[0])).toBe(true)
    expect(seen[0]).toMatchObject({ code: 'signature.invalid', status: 401, statusCode: 401, expose: true })

    const get = await request(app).get('/hook')
    expect(get.status).toBe(405)
    expect(get.headers.allow).toBe('POST')

    const ok = await request(app)
      .post('/hook')
      .set(signed.headers)
      .send(signed.body as string)
    expect(ok.status).toBe(200)
    expect(seen).toHaveLength(2)
  })
})

describe('hookguard/express inline mode', () => {
  function inlineApp(handler: (req: Request, res: Response) => void | Promise<void>) {
    const { receiver, enqueued } = setup()
    const app = express()
    app.post('/hook', hookguard(receiver, { inline: true }), handler)
    app.use(
      (_error: unknown, _req: Request, res: Response, _next: NextFunction) =>
        void res.status(500).json({ handler: 'threw' }),
    )
    return { app, enqueued }
  }

  it('hands req.webhook to the next handler and completes the key when it answers 2xx', async () => {
    const seen: WebhookEvent[] = []
    const { app, enqueued } = inlineApp((req, res) => {
      seen.push(req.webhook!)
      res.status(202).json({ queued: req.webhook!.id })
    })
    const signed = await signRequest(provider, { body: body('evt_inline') })
    const first = await request(app)
      .post('/hook')
      .set(signed.headers)
      .send(signed.body as string)
    expect(first.status).toBe(202)
    expect(first.body).toEqual({ queued: 'evt_inline' })
    expect(seen[0]).toMatchObject({ id: 'evt_inline', provider: 'stripe', type: 'invoice.paid', attempt: 1 })
    expect(seen[0]!.headers['stripe-signature']).toBe('[redacted]')
    const again = await request(app)
      .post('/hook')
      .set(signed.headers)
      .send(signed.body as string)
    expect(again.status).toBe(200)
    expect(again.body.status).toBe('duplicate')
    expect(seen).toHaveLength(1)
    expect(enqueued).toHaveLength(0)
  })

  it('releases the key when the next handler answers non-2xx or throws, so the retry is delivered again', async () => {
    let calls = 0
    const { app } = inlineApp(async (_req, res) => {
      calls++
      if (calls === 1) throw new Error('my queue is down')
      if (calls === 2) return void res.status(503).end()
      res.status(200).end()
    })
    const signed = await signRequest(provider, { body: body('evt_retry') })
    const send = () =>
      request(app)
        .post('/hook')
        .set(signed.headers)
        .send(signed.body as string)
    expect((await send()).status).toBe(500)
    expect((await send()).status).toBe(503)
    expect((await send()).status).toBe(200)
    expect((await send()).body.status).toBe('duplicate')
    expect(calls).toBe(3)
  })

  it('never calls the next handler for a forged delivery', async () => {
    let calls = 0
    const { app } = inlineApp((_req, res) => {
      calls++
      res.end()
    })
    const signed = await signRequest(provider, { body: body('evt_forged') })
    const res = await request(app)
      .post('/hook')
      .set(signed.headers)
      .send(`${signed.body as string} `)
    expect(res.status).toBe(401)
    expect(calls).toBe(0)
  })
})

describe('hookguard/express options', () => {
  it('throws a TypeError at construction for bad options', () => {
    const { receiver } = setup()
    expect(() => hookguard(receiver, { bodyTimeoutMs: 0 })).toThrow(/bodyTimeoutMs must be a positive integer/)
    expect(() => hookguard(receiver, { errors: 'throw' as 'next' })).toThrow(/errors must be one of 'respond', 'next'/)
    expect(() => hookguard(receiver, { inline: 'yes' as unknown as boolean })).toThrow(TypeError)
    expect(() => hookguard(undefined as never)).toThrow(/pass a receiver/)
    expect(() => hookguard({} as never)).toThrow(/provider is required/)
  })

  it('accepts receiver options instead of a receiver', async () => {
    const app = express()
    app.use('/hook', hookguard({ provider, logger: false }))
    const signed = await signRequest(provider, { body: body('evt_opts') })
    const res = await request(app)
      .post('/hook')
      .set(signed.headers)
      .send(signed.body as string)
    expect(res.status).toBe(200)
  })
})
