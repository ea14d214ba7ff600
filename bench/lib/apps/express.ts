import express from 'express'
import { load } from '../dist.js'
import { inlineGithub } from '../inline.js'
import type { AppFactory } from './types.js'

/** The idiomatic inline version: express.raw() keeps the bytes, res.json() answers. */
export const createApp: AppFactory = async ({ kind, path, secret, receiver }) => {
  const app = express()
  if (kind === 'hookguard') {
    app.post(path, (await load('express')).hookguard(receiver))
    return app
  }
  app.post(path, express.raw({ type: 'application/json' }), (req, res) => {
    if (kind === 'inline' && inlineGithub(secret, req.body as Buffer, req.get('x-hub-signature-256')) === undefined) {
      res.status(401).json({ ok: false })
      return
    }
    res.json({ ok: true })
  })
  return app
}
