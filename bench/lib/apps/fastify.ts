import { createServer, type RequestListener } from 'node:http'
import Fastify from 'fastify'
import { load } from '../dist.js'
import { guardedFastify } from '../guarded.js'
import { baselineStatus, HandQueue } from '../inline.js'
import type { AppFactory } from './types.js'

/**
 * Fastify builds its own server: serverFactory hands us the listener it
 * would mount (the server it returns never listens). The inline version
 * keeps the JSON body as a Buffer with a content-type parser, as Fastify's
 * docs do for signature checks.
 */
export const createApp: AppFactory = async ({ kind, path, secret, receiver }) => {
  let listener: RequestListener | undefined
  const app = Fastify({
    serverFactory: (handler) => {
      listener = handler
      return createServer(handler)
    },
  })
  if (kind === 'hookguard') {
    await app.register((await load('fastify')).hookguard(receiver, { path }))
  } else if (kind === 'guarded') {
    guardedFastify(app, path, secret)
  } else {
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
    const queue = new HandQueue()
    app.post(path, async (request, reply) => {
      const header = (name: string) => request.headers[name] as string | undefined
      if (baselineStatus(kind, secret, request.body as Buffer, header, queue) === 401)
        return reply.code(401).send({ ok: false })
      return { ok: true }
    })
  }
  await app.ready()
  return listener!
}
