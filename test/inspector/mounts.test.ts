/**
 * The thin mounts: node:http, Express (5 and 4, with a global form body
 * parser that reads the body first), Koa (3 and 2, under @koa/router) and
 * Hono serve the same page, and a replay through each passes the
 * framework's own request object to `authorize`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import Router from '@koa/router'
import express from 'express'
import express4 from 'express4'
import { Hono } from 'hono'
import Koa from 'koa'
import Koa2 from 'koa2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryArchive, type MemoryArchive } from '../../src/index.js'
import {
  expressInspector,
  honoInspector,
  koaInspector,
  nodeInspector,
  type InspectorOptions,
} from '../../src/inspector/index.js'
import { hostileArchive, type HostileArchive } from './support/hostile.js'

let archive: MemoryArchive
let data: HostileArchive
const natives: unknown[] = []

beforeAll(async () => {
  archive = memoryArchive({ rejectedBodies: true, maxBodyBytes: 2 * 1024 * 1024 })
  data = await hostileArchive(archive)
})

afterAll(() => data.receiver.close())

function options(): InspectorOptions {
  return {
    receiver: data.receiver,
    allowReplay: true,
    authorize: (_request, native) => {
      natives.push(native)
      return true
    },
    logger: false,
  }
}

type Fetcher = (path: string, init?: RequestInit) => Promise<Response>

async function listen(
  listener: (req: IncomingMessage, res: never) => void,
): Promise<{ fetcher: Fetcher; origin: string; server: Server }> {
  const server = createServer(listener as never)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return { server, origin, fetcher: (path, init) => fetch(`${origin}${path}`, { redirect: 'manual', ...init }) }
}

async function replayThrough(fetcher: Fetcher, origin: string, base: string): Promise<Response> {
  const list = await fetcher(base)
  expect(list.status).toBe(200)
  expect(list.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'nonce-/)
  expect(await list.text()).toContain(data.ids.plain)
  const detail = await (await fetcher(`${base}?id=${data.ids.plain}`)).text()
  const token = /name="token" value="([^"]+)"/.exec(detail)![1]!
  return fetcher(`${base}?id=${data.ids.plain}&action=replay`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${encodeURIComponent(token)}`,
  })
}

async function expectReplayed(response: Response): Promise<void> {
  expect(response.status).toBe(303)
  const location = response.headers.get('location')!
  expect(location).toMatch(/^\?id=/)
  expect(await archive.get(location.slice(4))).toMatchObject({ replayOf: data.ids.plain })
}

const servers: Server[] = []
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve))
})

describe('mounts', () => {
  it('node:http: nodeInspector is a request listener; authorize gets the IncomingMessage', async () => {
    const { fetcher, origin, server } = await listen(nodeInspector(options()))
    servers.push(server)
    await expectReplayed(await replayThrough(fetcher, origin, '/anything'))
    expect(natives.at(-1)).toHaveProperty('rawHeaders')
  })

  for (const [name, make] of [
    ['Express 5', express],
    ['Express 4', express4],
  ] as const) {
    it(`${name}: mounted on a path behind a global urlencoded parser; authorize gets req`, async () => {
      const app = make()
      app.use(make.urlencoded({ extended: false }))
      app.use('/_hookguard', expressInspector(options()) as never)
      const { fetcher, origin, server } = await listen(app as never)
      servers.push(server)
      await expectReplayed(await replayThrough(fetcher, origin, '/_hookguard'))
      expect(natives.at(-1)).toMatchObject({ originalUrl: expect.stringContaining('/_hookguard?id=') })
      expect((await fetcher('/elsewhere')).status).toBe(404)
    })
  }

  for (const [name, App] of [
    ['Koa 3', Koa],
    ['Koa 2', Koa2],
  ] as const) {
    it(`${name}: routed with @koa/router; authorize gets ctx`, async () => {
      const app = new App()
      const router = new Router()
      router.all('/_hookguard', koaInspector(options()) as never)
      app.use(router.routes() as never)
      const { fetcher, origin, server } = await listen(app.callback() as never)
      servers.push(server)
      await expectReplayed(await replayThrough(fetcher, origin, '/_hookguard'))
      expect(natives.at(-1)).toHaveProperty('originalUrl')
      expect(natives.at(-1)).toHaveProperty('state')
    })
  }

  it('Hono: a handler for app.all(); authorize gets c', async () => {
    const app = new Hono()
    app.all('/_hookguard', honoInspector(options()))
    const fetcher: Fetcher = async (path, init) => app.request(`http://hono.test${path}`, init)
    await expectReplayed(await replayThrough(fetcher, 'http://hono.test', '/_hookguard'))
    expect(natives.at(-1)).toHaveProperty('req.raw')
  })
})
