/**
 * hookguard/fastify beyond the shared case table: encapsulation (the app's
 * parsers keep working elsewhere), prefixes, inline mode and `errors: 'throw'`,
 * on Fastify 5 and Fastify 4, over real HTTP.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import Fastify4 from 'fastify4'
import { PassThrough } from 'node:stream'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { hookguard } from '../../adapters/fastify.js'
import { isHookguardError, type HookguardError } from '../../src/errors.js'
import { stripe } from '../../src/providers/index.js'
import { createReceiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { DedupeStore, QueuedEvent, WebhookEvent } from '../../src/types/index.js'
import { capturingLogger } from '../support/log.js'

const provider = stripe({ secret: 'whsec_test_fastify_adapter_0123' })
const body = (id: string): string => JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } })

const VERSIONS = [
  ['Fastify 5', () => Fastify({ logger: false })],
  ['Fastify 4', () => Fastify4({ logger: false }) as unknown as FastifyInstance],
] as const

const open: FastifyInstance[] = []
afterEach(async () => {
  for (const app of open.splice(0)) await app.close()
})

async function start(app: FastifyInstance): Promise<string> {
  open.push(app)
  return app.listen({ port: 0, host: '127.0.0.1' })
}

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

async function post(url: string, raw: string, extra: Record<string, string> = {}) {
  const signed = await signRequest(provider, { body: raw })
  const res = await fetch(url, { method: 'POST', headers: { ...signed.headers, ...extra }, body: raw })
  return { status: res.status, headers: res.headers, json: (await res.json().catch(() => undefined)) as any }
}

describe.each(VERSIONS)('hookguard/fastify on %s', (_name, make) => {
  it('verifies the exact bytes on its route while the app’s JSON parser keeps parsing every other route', async () => {
    const { receiver, enqueued } = setup()
    const app = make()
    app.post('/json', async (request) => ({ parsed: request.body }))
    await app.register(hookguard(receiver, { path: '/webhooks/stripe' }) as never)
    const base = await start(app)
    // Spacing JSON.stringify would not reproduce: only the raw bytes verify.
    const raw = `{ "id": "evt_fastify_raw",  "object": "event", "type": "invoice.paid" }`
    const hook = await post(`${base}/webhooks/stripe`, raw, { 'content-type': 'application/json' })
    expect(hook.status).toBe(200)
    expect(hook.json).toEqual({ ok: true, status: 'accepted', id: 'evt_fastify_raw' })
    expect(enqueued.map((e) => e.id)).toEqual(['evt_fastify_raw'])
    const other = await fetch(`${base}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a": 1}',
    })
    expect(await other.json()).toEqual({ parsed: { a: 1 } })
    expect(app.hasContentTypeParser('application/json')).toBe(true)
  })

  it('takes text/plain, form and content-type-less bodies as raw bytes too', async () => {
    const { receiver, enqueued } = setup()
    const app = make()
    await app.register(hookguard(receiver, { path: '/hook' }) as never)
    const base = await start(app)
    // Types with a parser of their own in the plugin (with parameters, in capitals), and others through `*`.
    const types = [
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'Application/JSON; Charset=UTF-8',
      'multipart/form-data; boundary=x',
    ]
    for (const [i, type] of types.entries())
      expect((await post(`${base}/hook`, body(`evt_ct_${i}`), { 'content-type': type })).status, type).toBe(200)
    // No Content-Type at all: fetch would add text/plain for a string, so send bytes.
    const signed = await signRequest(provider, { body: body('evt_ct_none') })
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([n]) => n !== 'content-type'))
    const res = await fetch(`${base}/hook`, {
      method: 'POST',
      headers,
      body: new TextEncoder().encode(signed.body as string),
    })
    expect(res.status).toBe(200)
    expect(enqueued.map((e) => e.id)).toEqual([...types.map((_, i) => `evt_ct_${i}`), 'evt_ct_none'])
  })

  it('answers every other method on its path with 405 + Allow: POST through the receiver', async () => {
    const { receiver } = setup()
    const app = make()
    await app.register(hookguard(receiver, { path: '/hook' }) as never)
    const base = await start(app)
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await fetch(`${base}/hook`, { method })
      expect(res.status, method).toBe(405)
      expect(res.headers.get('allow'), method).toBe('POST')
      expect(await res.json(), method).toEqual({
        ok: false,
        error: { code: 'method.not_allowed', message: 'Method not allowed' },
      })
    }
  })

  it('answers 500 body.consumed with a log line naming the fix when an app hook read the body first', async () => {
    const { receiver, enqueued, logs } = setup()
    const app = make()
    app.addHook('preParsing', async (_request, _reply, payload) => {
      for await (const chunk of payload) void chunk
      return payload
    })
    await app.register(hookguard(receiver, { path: '/hook' }) as never)
    const base = await start(app)
    const res = await post(`${base}/hook`, body('evt_consumed'))
    expect(res.status).toBe(500)
    expect(res.json).toEqual({ ok: false, error: { code: 'body.consumed', message: 'Webhook receiver misconfigured' } })
    expect(enqueued).toHaveLength(0)
    expect(logs.join('\n')).toMatch(/preParsing hook.*let no hook read the body/)
  })

  it('reads the stream a preParsing hook hands on, and the inline handler sees no stream as request.body', async () => {
    const { receiver } = setup()
    const app = make()
    let handedOn = 0
    app.addHook('preParsing', async (_request, _reply, payload) => {
      // A hook that wraps the body (as a decompressor would): hookguard must read the wrapper.
      const wrapper = new PassThrough()
      payload.pipe(wrapper)
      handedOn++
      return wrapper
    })
    let seenBody: unknown = 'unset'
    await app.register(
      hookguard(receiver, {
        path: '/hook',
        inline: async (request: FastifyRequest) => {
          seenBody = request.body
          return { got: request.webhook!.id }
        },
      }) as never,
    )
    const base = await start(app)
    const res = await post(`${base}/hook`, body('evt_wrapped'))
    expect(res.status).toBe(200)
    expect(res.json).toEqual({ got: 'evt_wrapped' })
    expect(handedOn).toBe(1)
    expect(seenBody).toBeUndefined()
  })

  it('mounts under the prefix it is registered with', async () => {
    const { receiver, enqueued } = setup()
    const app = make()
    await app.register(hookguard(receiver, { path: '/stripe' }) as never, { prefix: '/webhooks' })
    const base = await start(app)
    expect((await post(`${base}/webhooks/stripe`, body('evt_prefixed'))).status).toBe(200)
    expect(enqueued.map((e) => e.id)).toEqual(['evt_prefixed'])
  })

  describe('inline mode', () => {
    it('runs the handler with request.webhook and completes the key on a 2xx: a resend is a duplicate', async () => {
      const { receiver, enqueued } = setup()
      const seen: WebhookEvent[] = []
      const app = make()
      await app.register(
        hookguard(receiver, {
          path: '/hook',
          inline: async (request: FastifyRequest, reply: FastifyReply) => {
            seen.push(request.webhook!)
            return reply.code(201).send({ handled: request.webhook!.id })
          },
        }) as never,
      )
      const base = await start(app)
      const first = await post(`${base}/hook`, body('evt_inline'))
      expect(first.status).toBe(201)
      expect(first.json).toEqual({ handled: 'evt_inline' })
      expect(seen.map((e) => [e.id, e.attempt, (e.payload as { type: string }).type])).toEqual([
        ['evt_inline', 1, 'invoice.paid'],
      ])
      const again = await post(`${base}/hook`, body('evt_inline'))
      expect(again.status).toBe(200)
      expect(again.json).toEqual({ ok: true, status: 'duplicate', id: 'evt_inline' })
      expect(seen).toHaveLength(1)
      expect(enqueued).toHaveLength(0)
    })

    it('takes the value an async handler returns as the reply', async () => {
      const { receiver } = setup()
      const app = make()
      await app.register(
        hookguard(receiver, { path: '/hook', inline: async (request) => ({ got: request.webhook!.id }) }) as never,
      )
      const base = await start(app)
      const res = await post(`${base}/hook`, body('evt_returned'))
      expect(res.status).toBe(200)
      expect(res.json).toEqual({ got: 'evt_returned' })
      expect((await post(`${base}/hook`, body('evt_returned'))).json.status).toBe('duplicate')
    })

    it('releases the key when the handler answers non-2xx, so the provider’s retry runs it again', async () => {
      const { receiver } = setup()
      let calls = 0
      const app = make()
      await app.register(
        hookguard(receiver, {
          path: '/hook',
          inline: async (_request: FastifyRequest, reply: FastifyReply) =>
            ++calls === 1 ? reply.code(503).send({ later: true }) : reply.code(200).send({ done: true }),
        }) as never,
      )
      const base = await start(app)
      expect((await post(`${base}/hook`, body('evt_retry'))).status).toBe(503)
      const retry = await post(`${base}/hook`, body('evt_retry'))
      expect(retry.status).toBe(200)
      expect(retry.json).toEqual({ done: true })
      expect(calls).toBe(2)
    })

    it('hands a thrown error to the app’s error handler and releases the key', async () => {
      const { receiver } = setup()
      const errors: unknown[] = []
      let calls = 0
      const app = make()
      app.setErrorHandler((error, _request, reply) => {
        errors.push(error)
        void reply.code(500).send({ app: 'error handler' })
      })
      await app.register(
        hookguard(receiver, {
          path: '/hook',
          inline: async () => {
            if (++calls === 1) throw new Error('database down')
            return { ok: true }
          },
        }) as never,
      )
      const base = await start(app)
      const failed = await post(`${base}/hook`, body('evt_throw'))
      expect(failed.status).toBe(500)
      expect(failed.json).toEqual({ app: 'error handler' })
      expect(errors.map((e) => (e as Error).message)).toEqual(['database down'])
      expect((await post(`${base}/hook`, body('evt_throw'))).json).toEqual({ ok: true })
      expect(calls).toBe(2)
    })

    it('never runs the handler for a forged delivery', async () => {
      const { receiver } = setup()
      let calls = 0
      const app = make()
      await app.register(hookguard(receiver, { path: '/hook', inline: async () => void calls++ }) as never)
      const base = await start(app)
      const signed = await signRequest(provider, { body: body('evt_forged') })
      const res = await fetch(`${base}/hook`, { method: 'POST', headers: signed.headers, body: `${signed.body} ` })
      expect(res.status).toBe(401)
      expect(calls).toBe(0)
    })
  })

  describe("errors: 'throw'", () => {
    it('hands non-2xx outcomes to setErrorHandler as a HookguardError with status and headers', async () => {
      const { receiver } = setup()
      const seen: HookguardError[] = []
      const app = make()
      app.setErrorHandler((error, _request, reply) => {
        if (isHookguardError(error)) seen.push(error)
        void reply
          .code((error as { statusCode?: number }).statusCode ?? 500)
          .send({ mine: (error as { code?: string }).code })
      })
      await app.register(hookguard(receiver, { path: '/hook', errors: 'throw' }) as never)
      const base = await start(app)
      const signed = await signRequest(provider, { body: body('evt_throw_mode') })
      const forged = await fetch(`${base}/hook`, { method: 'POST', headers: signed.headers, body: `${signed.body} ` })
      expect(forged.status).toBe(401)
      expect(await forged.json()).toEqual({ mine: 'signature.invalid' })
      expect(seen.map((e) => [e.code, e.status, e.statusCode])).toEqual([['signature.invalid', 401, 401]])
      // 2xx outcomes are still answered by hookguard itself.
      expect((await post(`${base}/hook`, body('evt_throw_mode'))).json.status).toBe('accepted')
    })

    it('Fastify’s default error handler applies the error’s headers (Allow, Retry-After)', async () => {
      const down: DedupeStore = {
        reserve: () => Promise.reject(new Error('store down')),
        complete: () => Promise.reject(new Error('store down')),
        release: () => Promise.reject(new Error('store down')),
      }
      const receiver = createReceiver({ provider, store: down, logger: false })
      const app = make()
      await app.register(hookguard(receiver, { path: '/hook', errors: 'throw' }) as never)
      const base = await start(app)
      const get = await fetch(`${base}/hook`)
      expect(get.status).toBe(405)
      expect(get.headers.get('allow')).toBe('POST')
      const unavailable = await post(`${base}/hook`, body('evt_store_down'))
      expect(unavailable.status).toBe(503)
      expect(unavailable.headers.get('retry-after')).toBe('5')
      expect(unavailable.json.code).toBe('store.unavailable')
    })
  })
})

describe('hookguard/fastify configuration', () => {
  const options = { provider, logger: false as const }

  it('throws a TypeError naming the fix at construction', () => {
    expect(() => hookguard(options, undefined as never)).toThrow(/path: '\/webhooks\/stripe'/)
    expect(() => hookguard(options, { path: 'webhooks' })).toThrow(/path must be a string starting with '\/'/)
    expect(() => hookguard(options, { path: '/h', inline: true as never })).toThrow(/inline must be a route handler/)
    expect(() => hookguard(options, { path: '/h', errors: 'next' as never })).toThrow(/errors must be one of/)
    expect(() => hookguard(options, { path: '/h', bodyTimeoutMs: 0 })).toThrow(TypeError)
  })

  it('returns a named plugin and types request.webhook', () => {
    expect(hookguard(options, { path: '/h' }).name).toBe('hookguardFastify')
    expectTypeOf<FastifyRequest['webhook']>().toEqualTypeOf<WebhookEvent | undefined>()
  })
})
