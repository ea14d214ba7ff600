/**
 * hookguard in a real NestJS application started in-process, over real HTTP:
 * on the Express platform as middleware and as a controller reading
 * `req.rawBody` (`rawBody: true`), and on the Fastify platform through the
 * hookguard/fastify plugin. Each answers accepted, duplicate and 401 while
 * Nest's own JSON parser keeps serving the app's other routes.
 * The recipe is docs-drafts/recipes/nestjs.md.
 */
import 'reflect-metadata'
import type { INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import type { NestExpressApplication } from '@nestjs/platform-express'
import { afterEach, describe, expect, it } from 'vitest'
import { hookguard as expressHookguard } from '../../adapters/express.js'
import { hookguard as fastifyHookguard } from '../../adapters/fastify.js'
import { stripe } from '../../src/providers/index.js'
import { createReceiver, type Receiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { QueuedEvent } from '../../src/types/index.js'
import { capturingLogger } from '../support/log.js'
import { appModule, InlineWebhooksController, WebhooksController } from './nest/app.js'

const SECRET = 'whsec_test_nest_recipe_0123456789'
const provider = stripe({ secret: SECRET })

const apps: INestApplication[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

function receiver(): { receiver: Receiver; enqueued: QueuedEvent[] } {
  const enqueued: QueuedEvent[] = []
  return {
    receiver: createReceiver({ provider, queue: { enqueue: async (e) => void enqueued.push(e) }, logger: false }),
    enqueued,
  }
}

async function listen(app: INestApplication): Promise<string> {
  apps.push(app)
  await app.listen(0, '127.0.0.1')
  return (await app.getUrl()).replace('[::1]', '127.0.0.1')
}

/** accepted → duplicate → forged (401), then an ordinary JSON route of the same app. */
async function exercise(base: string, path: string) {
  // Spacing JSON.stringify would not reproduce: only the exact bytes verify.
  const raw = `{ "id": "evt_nest_1",  "object": "event", "type": "invoice.paid" }`
  const signed = await signRequest(provider, { body: raw })
  const headers = { ...signed.headers, 'content-type': 'application/json' }
  const post = async (body: string) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers, body })
    return { status: res.status, body: await res.json() }
  }
  const echo = await fetch(`${base}/api/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"a": 1}',
  })
  return {
    first: await post(raw),
    again: await post(raw),
    forged: await post(`${raw} `),
    echo: { status: echo.status, body: await echo.json() },
  }
}

const EXPECTED = {
  first: { status: 200, body: { ok: true, status: 'accepted', id: 'evt_nest_1' } },
  again: { status: 200, body: { ok: true, status: 'duplicate', id: 'evt_nest_1' } },
  forged: { status: 401, body: { ok: false, error: { code: 'unauthorized', message: 'Webhook verification failed' } } },
  echo: { status: 201, body: { parsed: { a: 1 } } },
}

describe('NestJS on the Express platform (rawBody: true)', () => {
  it('hookguard/express as middleware for the webhook path: app.use(path, hookguard(receiver))', async () => {
    const { receiver: r, enqueued } = receiver()
    // No rawBody option: mounted before Nest's body parser, hookguard reads the stream itself.
    const app = await NestFactory.create<NestExpressApplication>(appModule(r, []), { logger: false })
    app.use('/webhooks/stripe', expressHookguard(r))
    const base = await listen(app)
    expect(await exercise(base, '/webhooks/stripe')).toEqual(EXPECTED)
    expect(enqueued.map((e) => e.id)).toEqual(['evt_nest_1'])
  })

  it('inline mode: the middleware verifies and sets req.webhook, a Nest controller does the work', async () => {
    const { receiver: r, enqueued } = receiver()
    const app = await NestFactory.create<NestExpressApplication>(appModule(r, [InlineWebhooksController]), {
      rawBody: true,
      logger: false,
    })
    app.use('/webhooks/stripe', expressHookguard(r, { inline: true }))
    const base = await listen(app)
    const observed = await exercise(base, '/webhooks/stripe')
    expect(observed).toEqual({ ...EXPECTED, first: { status: 200, body: { handled: 'evt_nest_1' } } })
    expect(app.get(InlineWebhooksController).handled).toEqual(['evt_nest_1'])
    expect(enqueued).toEqual([])
  })

  it('a controller that passes req.rawBody to receiver.handle()', async () => {
    const { receiver: r, enqueued } = receiver()
    const app = await NestFactory.create<NestExpressApplication>(appModule(r, [WebhooksController]), {
      rawBody: true,
      logger: false,
    })
    const base = await listen(app)
    expect(await exercise(base, '/webhooks/stripe')).toEqual(EXPECTED)
    expect(enqueued.map((e) => e.id)).toEqual(['evt_nest_1'])
  })

  it('without rawBody: true the controller has no bytes: 500 body.consumed with a log line naming the fix', async () => {
    const enqueued: QueuedEvent[] = []
    const logs: string[] = []
    const r = createReceiver({
      provider,
      queue: { enqueue: async (e) => void enqueued.push(e) },
      logger: capturingLogger(logs),
    })
    const app = await NestFactory.create<NestExpressApplication>(appModule(r, [WebhooksController]), { logger: false })
    const base = await listen(app)
    const signed = await signRequest(provider, { body: '{"id":"evt_nest_2","object":"event"}' })
    const res = await fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: { ...signed.headers, 'content-type': 'application/json' },
      body: signed.body as string,
    })
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({
      ok: false,
      error: { code: 'body.consumed', message: 'Webhook receiver misconfigured' },
    })
    expect(enqueued).toEqual([])
    expect(logs.join('\n')).toMatch(/rawBody: true/)
  })
})

describe('NestJS on the Fastify platform', () => {
  it('hookguard/fastify registered on the Nest app (the underlying Fastify instance)', async () => {
    const { receiver: r, enqueued } = receiver()
    const app = await NestFactory.create<NestFastifyApplication>(appModule(r, []), new FastifyAdapter(), {
      logger: false,
    })
    await app.register(fastifyHookguard(r, { path: '/webhooks/stripe' }))
    const base = await listen(app)
    expect(await exercise(base, '/webhooks/stripe')).toEqual(EXPECTED)
    expect(enqueued.map((e) => e.id)).toEqual(['evt_nest_1'])
    const get = await fetch(`${base}/webhooks/stripe`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })
})
