import type { ServerResponse } from 'node:http'
import { load } from '../dist.js'
import { guardedListener } from '../guarded.js'
import { baselineStatus, HandQueue, OK_BODY, readBody, UNAUTHORIZED_BODY } from '../inline.js'
import type { AppFactory } from './types.js'

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(body)
}

export const createApp: AppFactory = async ({ kind, secret, receiver }) => {
  if (kind === 'hookguard') return (await load('node')).hookguard(receiver)
  if (kind === 'guarded') return guardedListener(secret)
  const queue = new HandQueue()
  return function nodeBaseline(req, res) {
    readBody(req).then(
      (body) => {
        const header = (name: string) => req.headers[name] as string | undefined
        if (baselineStatus(kind, secret, body, header, queue) === 401) return send(res, 401, UNAUTHORIZED_BODY)
        send(res, 200, OK_BODY)
      },
      () => res.destroy(),
    )
  }
}
