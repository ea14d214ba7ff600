import { createServer, type RequestListener } from 'node:http'
import Fastify from 'fastify'
import { load } from '../dist.js'
import { inlineGithub } from '../inline.js'
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
  } else {
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body))
    app.post(path, async (request, reply) => {
      const signature = request.headers['x-hub-signature-256'] as string | undefined
      if (kind === 'inline' && inlineGithub(secret, request.body as Buffer, signature) === undefined)
        return reply.code(401).send({ ok: false })
      return { ok: true }
    })
  }
  await app.ready()
  return listener!
}
