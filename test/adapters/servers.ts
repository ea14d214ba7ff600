/**
 * The five adapters mounted the way their users mount them, each on a real
 * listening server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import express from 'express'
import express4 from 'express4'
import Fastify from 'fastify'
import Fastify4 from 'fastify4'
import { Hono } from 'hono'
import Koa from 'koa'
import Koa2 from 'koa2'
import { hookguard as expressHookguard } from '../../adapters/express.js'
import { hookguard as fastifyHookguard } from '../../adapters/fastify.js'
import { hookguard as fetchHookguard } from '../../adapters/fetch.js'
import { hookguard as honoHookguard } from '../../adapters/hono.js'
import { hookguard as koaHookguard } from '../../adapters/koa.js'
import { hookguard as nodeHookguard } from '../../adapters/node.js'
import type { Receiver } from '../../src/receiver/index.js'

export const PATH = '/webhooks/test'

export interface StartOptions {
  bodyTimeoutMs?: number
  /** Mount the framework's JSON body parser in front of hookguard. */
  preParsed?: boolean
}

export interface Running {
  /** Full URL of the webhook endpoint. */
  url: string
  /** The listening node:http server (every framework here runs on one). */
  server: Server
  close(): Promise<void>
}

export interface AdapterUnderTest {
  name: 'express' | 'express4' | 'koa' | 'koa2' | 'hono' | 'fetch' | 'node' | 'fastify' | 'fastify4'
  /** Whether the framework has a body parser that can run before hookguard and consume the stream. */
  preParse: boolean
  start(receiver: Receiver, options?: StartOptions): Promise<Running>
}

/** What a body parser without raw-body support does: read the stream, keep only the parsed value. */
export function koaJsonParser(): Koa.Middleware {
  return async function jsonParser(ctx, next) {
    const chunks: Buffer[] = []
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
    ;(ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null')
    await next()
  }
}

export async function listen(server: Server): Promise<Running> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${PATH}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function notFound(res: import('node:http').ServerResponse): void {
  res.writeHead(404).end()
}

export const ADAPTERS: AdapterUnderTest[] = [
  {
    name: 'express',
    preParse: true,
    start(receiver, options = {}) {
      const app = express()
      if (options.preParsed) app.use(express.json())
      app.use(PATH, expressHookguard(receiver, { bodyTimeoutMs: options.bodyTimeoutMs }))
      return listen(createServer(app))
    },
  },
  {
    name: 'express4',
    preParse: true,
    start(receiver, options = {}) {
      // Express 4: the adapter uses nothing Express 5 added.
      const app = express4()
      if (options.preParsed) app.use(express4.json())
      app.use(PATH, expressHookguard(receiver, { bodyTimeoutMs: options.bodyTimeoutMs }))
      return listen(createServer(app))
    },
  },
  {
    name: 'koa',
    preParse: true,
    start(receiver, options = {}) {
      const app = new Koa()
      app.silent = true
      if (options.preParsed) app.use(koaJsonParser())
      app.use(koaHookguard(receiver, { path: PATH, bodyTimeoutMs: options.bodyTimeoutMs }))
      return listen(createServer(app.callback()))
    },
  },
  {
    name: 'koa2',
    preParse: true,
    start(receiver, options = {}) {
      // Koa 2: the adapter uses nothing Koa 3 added.
      const app = new Koa2()
      app.silent = true
      if (options.preParsed) app.use(koaJsonParser() as never)
      app.use(koaHookguard(receiver, { path: PATH, bodyTimeoutMs: options.bodyTimeoutMs }) as never)
      return listen(createServer(app.callback()))
    },
  },
  {
    name: 'hono',
    preParse: false,
    start(receiver, options = {}) {
      const app = new Hono()
      // app.all so that other methods reach hookguard and get 405 + Allow.
      app.all(PATH, honoHookguard(receiver, { bodyTimeoutMs: options.bodyTimeoutMs }))
      return listen(createAdaptorServer({ fetch: app.fetch }) as Server)
    },
  },
  {
    name: 'fetch',
    preParse: false,
    start(receiver, options = {}) {
      const handler = fetchHookguard(receiver, { bodyTimeoutMs: options.bodyTimeoutMs })
      // @hono/node-server passes { incoming, outgoing } as the second argument, as a Fetch handler's env.
      const fetch = (request: Request, env: unknown): Promise<Response> | Response =>
        new URL(request.url).pathname === PATH ? handler(request, env) : new Response(null, { status: 404 })
      return listen(createAdaptorServer({ fetch }) as Server)
    },
  },
  {
    name: 'node',
    preParse: false,
    start(receiver, options = {}) {
      const listener = nodeHookguard(receiver, { bodyTimeoutMs: options.bodyTimeoutMs })
      return listen(createServer((req, res) => (req.url?.split('?')[0] === PATH ? listener(req, res) : notFound(res))))
    },
  },
  {
    name: 'fastify',
    preParse: false,
    async start(receiver, options = {}) {
      // serverFactory hands Fastify the server that listen() then starts, as for the others.
      let server!: Server
      const app = Fastify({ serverFactory: (handler) => (server = createServer(handler)) })
      await app.register(fastifyHookguard(receiver, { path: PATH, bodyTimeoutMs: options.bodyTimeoutMs }))
      await app.ready()
      return listen(server)
    },
  },
  {
    name: 'fastify4',
    preParse: false,
    async start(receiver, options = {}) {
      // Fastify 4: the plugin uses nothing Fastify 5 added.
      let server!: Server
      const app = Fastify4({ serverFactory: (handler) => (server = createServer(handler)) })
      await app.register(fastifyHookguard(receiver, { path: PATH, bodyTimeoutMs: options.bodyTimeoutMs }) as never)
      await app.ready()
      return listen(server)
    },
  },
]
