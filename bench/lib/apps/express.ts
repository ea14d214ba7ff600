import express from 'express'
import { load } from '../dist.js'
import { baselineStatus, HandQueue } from '../inline.js'
import type { AppFactory } from './types.js'

/** The idiomatic inline version: express.raw() keeps the bytes, res.json() answers. */
export const createApp: AppFactory = async ({ kind, path, secret, receiver }) => {
  const app = express()
  if (kind === 'guarded') throw new Error('bench: no guarantees-by-hand server for Express')
  if (kind === 'hookguard') {
    app.post(path, (await load('express')).hookguard(receiver))
    return app
  }
  const queue = new HandQueue()
  app.post(path, express.raw({ type: 'application/json' }), (req, res) => {
    if (baselineStatus(kind, secret, req.body as Buffer, (name) => req.get(name), queue) === 401) {
      res.status(401).json({ ok: false })
      return
    }
    res.json({ ok: true })
  })
  return app
}
