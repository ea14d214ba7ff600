import Koa from 'koa'
import { load } from '../dist.js'
import { baselineStatus, HandQueue, readBody } from '../inline.js'
import type { AppFactory } from './types.js'

/** Koa has no raw-body reader of its own: the inline version reads ctx.req, as raw-body would. */
export const createApp: AppFactory = async ({ kind, path, secret, receiver }) => {
  const app = new Koa()
  if (kind === 'guarded') throw new Error('bench: no guarantees-by-hand server for Koa')
  if (kind === 'hookguard') {
    app.use((await load('koa')).hookguard(receiver, { path }))
    return app.callback()
  }
  const queue = new HandQueue()
  app.use(async function koaBaseline(ctx, next) {
    if (ctx.path !== path || ctx.method !== 'POST') return next()
    const body = await readBody(ctx.req)
    if (baselineStatus(kind, secret, body, (name) => ctx.get(name) || undefined, queue) === 401) {
      ctx.status = 401
      ctx.body = { ok: false }
      return
    }
    ctx.body = { ok: true }
  })
  return app.callback()
}
