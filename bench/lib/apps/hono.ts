import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { load } from '../dist.js'
import { baselineStatus, HandQueue } from '../inline.js'
import type { AppFactory } from './types.js'

/** Served by @hono/node-server's listener; the inline version reads c.req.arrayBuffer(), as Hono's docs do. */
export const createApp: AppFactory = async ({ kind, path, secret, receiver }) => {
  const app = new Hono()
  if (kind === 'guarded') throw new Error('bench: no guarantees-by-hand server for Hono')
  if (kind === 'hookguard') {
    app.post(path, (await load('hono')).hookguard(receiver) as any)
    return getRequestListener(app.fetch)
  }
  const queue = new HandQueue()
  app.post(path, async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer())
    if (baselineStatus(kind, secret, body, (name) => c.req.header(name), queue) === 401)
      return c.json({ ok: false }, 401)
    return c.json({ ok: true })
  })
  return getRequestListener(app.fetch)
}
