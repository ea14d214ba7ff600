import { createServer } from 'node:http'
import { capturingLogger } from '../support/log.js'
import Router from '@koa/router'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { hookguard } from '../../adapters/koa.js'
import { isHookguardError } from '../../src/errors.js'
import { stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { Provider, QueuedEvent, WebhookEvent } from '../../src/types/index.js'
import { send } from './http.js'
import { koaJsonParser, listen, PATH } from './servers.js'

const provider = stripe({ secret: 'whsec_test_koa_adapter_012345' })
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

describe('hookguard/koa mounting', () => {
  it('works as router.post(path, hookguard(...)) with @koa/router', async () => {
    const { receiver, enqueued } = setup()
    const app = new Koa()
    const router = new Router()
    router.post('/webhooks/stripe', hookguard(receiver))
    app.use(router.routes()).use(router.allowedMethods())
    const signed = await signRequest(provider, { body: body('evt_router') })
    const res = await request(app.callback())
      .post('/webhooks/stripe')
      .set(signed.headers)
      .send(signed.body as string)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ ok: true, status: 'accepted', id: 'evt_router' })
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(enqueued.map((e) => e.id)).toEqual(['evt_router'])
    const get = await request(app.callback()).get('/webhooks/stripe')
    expect(get.status).toBe(405)
    expect(get.headers.allow).toBe('POST')
  })

  it('with { path } only handles that path and passes everything else on', async () => {
    const { receiver } = setup()
    const app = new Koa()
    app.use(hookguard(receiver, { path: '/webhooks/stripe' }))
    app.use((ctx) => void (ctx.body = 'next'))
    expect((await request(app.callback()).post('/elsewhere').send('x')).text).toBe('next')
    expect((await request(app.callback()).post('/webhooks/stripe').send('{}')).status).toBe(401)
  })
})

describe('hookguard/koa raw body', () => {
  it('uses ctx.request.rawBody kept by a body parser (koa-bodyparser style: a string)', async () => {
    const { receiver, enqueued } = setup()
    const app = new Koa()
    app.use(async (ctx, next) => {
      const chunks: Buffer[] = []
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
      const text = Buffer.concat(chunks).toString('utf8')
      Object.assign(ctx.request, { rawBody: text, body: JSON.parse(text) })
      await next()
    })
    app.use(hookguard(receiver, { path: '/hook' }))
    const raw = `{"id":"evt_rawbody",   "type":"invoice.paid"}`
    const signed = await signRequest(provider, { body: raw })
    const res = await request(app.callback()).post('/hook').set(signed.headers).send(raw)
    expect(res.status).toBe(200)
    expect(enqueued.map((e) => e.id)).toEqual(['evt_rawbody'])
  })

  it('refuses a body a parser consumed without keeping the raw bytes, and logs the fix', async () => {
    const { receiver, enqueued, logs } = setup()
    const app = new Koa()
    app.use(koaJsonParser())
    app.use(hookguard(receiver, { path: '/hook' }))
    const signed = await signRequest(provider, { body: body('evt_consumed') })
    const res = await request(app.callback())
      .post('/hook')
      .set(signed.headers)
      .send(signed.body as string)
    expect(res.status).toBe(500)
    expect(res.body.error.code).toBe('body.consumed')
    expect(enqueued).toHaveLength(0)
    expect(logs.join('\n')).toMatch(/Mount hookguard before the body parser.*rawBody/s)
  })
})

describe("hookguard/koa errors: 'throw'", () => {
  it('throws a HookguardError with status, expose and headers that Koa answers with', async () => {
    const { receiver } = setup()
    const caught: unknown[] = []
    const app = new Koa()
    app.silent = true
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        caught.push(error)
        throw error
      }
    })
    app.use(hookguard(receiver, { path: '/hook', errors: 'throw' }))
    const get = await request(app.callback()).get('/hook')
    expect(get.status).toBe(405)
    expect(get.headers.allow).toBe('POST')
    expect(get.text).toBe('Method not allowed')
    expect(isHookguardError(caught[0])).toBe(true)
    expect(caught[0]).toMatchObject({ code: 'method.not_allowed', status: 405, expose: true })
  })
})

describe("hookguard/koa errors: 'throw' with a body left unread", () => {
  it("keeps Connection: close through Koa's onerror, which resets headers", async () => {
    const receiver = createReceiver({ provider, maxBodyBytes: 1024, logger: false })
    const app = new Koa()
    app.silent = true
    app.use(hookguard(receiver, { path: PATH, errors: 'throw' }))
    const server = await listen(createServer(app.callback()))
    try {
      const answer = await send(server.url, { partial: { bytes: new Uint8Array(0), declaredLength: 4096 } })
      expect(answer.status).toBe(413)
      expect(answer.text).toBe('Request body too large')
      expect(answer.headers.connection).toBe('close')
    } finally {
      await server.close()
    }
  })
})

describe('hookguard/koa inline mode', () => {
  it('sets ctx.state.webhook, completes on 2xx, releases on a throw so the retry is delivered again', async () => {
    const { receiver, enqueued } = setup()
    const seen: WebhookEvent[] = []
    let calls = 0
    const app = new Koa()
    app.silent = true
    const router = new Router()
    router.post('/hook', hookguard(receiver, { inline: true }), (ctx) => {
      calls++
      if (calls === 1) throw new Error('my queue is down')
      seen.push(ctx.state.webhook as WebhookEvent)
      ctx.status = 204
    })
    app.use(router.routes())
    const signed = await signRequest(provider, { body: body('evt_koa_inline') })
    const send = () =>
      request(app.callback())
        .post('/hook')
        .set(signed.headers)
        .send(signed.body as string)
    expect((await send()).status).toBe(500)
    expect((await send()).status).toBe(204)
    const dup = await send()
    expect(dup.status).toBe(200)
    expect(dup.body.status).toBe('duplicate')
    expect(calls).toBe(2)
    expect(seen[0]).toMatchObject({ id: 'evt_koa_inline', attempt: 1 })
    expect(enqueued).toHaveLength(0)
  })

  it('releases when the next middleware leaves a non-2xx status', async () => {
    const { receiver } = setup()
    let calls = 0
    const app = new Koa()
    app.use(hookguard(receiver, { path: '/hook', inline: true }))
    app.use((ctx) => {
      calls++
      ctx.status = calls === 1 ? 503 : 200
      ctx.body = 'done'
    })
    const signed = await signRequest(provider, { body: body('evt_koa_503') })
    const send = () =>
      request(app.callback())
        .post('/hook')
        .set(signed.headers)
        .send(signed.body as string)
    expect((await send()).status).toBe(503)
    expect((await send()).status).toBe(200)
    expect((await send()).body.status).toBe('duplicate')
    expect(calls).toBe(2)
  })
})

describe('hookguard/koa options', () => {
  it('throws a TypeError at construction for bad options', () => {
    const { receiver } = setup()
    expect(() => hookguard(receiver, { path: 'webhooks' })).toThrow(/path must be a string starting with '\/'/)
    expect(() => hookguard(receiver, { errors: 'next' as 'throw' })).toThrow(/errors must be one of 'respond', 'throw'/)
    expect(() => hookguard(receiver, { bodyTimeoutMs: 1.5 })).toThrow(TypeError)
  })
})

describe('hookguard/koa: the URL a provider verifies', () => {
  /** A provider that accepts everything and records the URL it was shown. */
  function urlRecorder() {
    const seen: (string | undefined)[] = []
    const recorder: Provider = {
      name: 'recorder',
      tolerance: undefined,
      sensitiveHeaders: [],
      verify(request) {
        seen.push(request.url)
        return { id: 'evt_url' }
      },
      describe: () => ({ id: 'evt_url' }),
    }
    const receiver = createReceiver({ provider: recorder, queue: { enqueue: async () => {} }, logger: false })
    return { receiver, seen }
  }

  it('is built from Host when Koa does not trust proxy headers, which are ignored', async () => {
    const { receiver, seen } = urlRecorder()
    const app = new Koa()
    app.use(hookguard(receiver, { path: '/hooks' }))
    const res = await request(app.callback())
      .post('/hooks?tenant=a')
      .set('host', 'hooks.example.com:8443')
      .set('x-forwarded-proto', 'https')
      .set('x-forwarded-host', 'evil.example')
      .send('{}')
    expect(res.status).toBe(200)
    expect(seen).toEqual(['http://hooks.example.com:8443/hooks?tenant=a'])
  })

  it('follows X-Forwarded-Proto and X-Forwarded-Host when app.proxy is set, as ctx.protocol and ctx.host do', async () => {
    const { receiver, seen } = urlRecorder()
    const app = new Koa({ proxy: true })
    app.use(hookguard(receiver, { path: '/hooks' }))
    await request(app.callback())
      .post('/hooks')
      .set('host', 'internal:3000')
      .set('x-forwarded-proto', 'https')
      .set('x-forwarded-host', 'hooks.example.com')
      .send('{}')
    expect(seen).toEqual(['https://hooks.example.com/hooks'])
  })

  it('leaves a Host with userinfo to Koa (which drops it, on Koa 3)', async () => {
    const { receiver, seen } = urlRecorder()
    const app = new Koa()
    app.use(hookguard(receiver, { path: '/hooks' }))
    await request(app.callback()).post('/hooks').set('host', 'user@hooks.example.com').send('{}')
    expect(seen).toEqual(['http://hooks.example.com/hooks'])
  })
})
