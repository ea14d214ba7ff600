/**
 * One serverless function instance, as Vercel, Netlify and Workers run it:
 * it serves a request with the Fetch handler, sends the response, waits for
 * the promises handed to `waitUntil`, and is then frozen (SIGSTOP to itself,
 * right after the response bytes are handed to the kernel, before the event
 * loop turns again). The platform may thaw it for a later request or kill it.
 *
 * Config (HOOKGUARD_INSTANCE, JSON): `mode` says how the app mounts
 * hookguard; `marker` is a file the webhook handler appends each event id to
 * once it has finished its work; `failFirst` makes the first run throw.
 *
 * Prints `{"listening":port}` when ready.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { appendFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hookguard } from '../../../adapters/fetch.js'
import { stripe } from '../../../src/providers/index.js'
import type { WebhookEvent } from '../../../src/types/index.js'

export type Mode = 'memory-queue' | 'inline' | 'workers-ctx' | 'wait-until-option' | 'next-request-context'

export interface InstanceConfig {
  mode: Mode
  secret: string
  marker: string
  failFirst?: boolean
}

const config = JSON.parse(process.env.HOOKGUARD_INSTANCE ?? '{}') as InstanceConfig
let runs = 0

/** The app's webhook work: some I/O (a 100 ms timer stands for a database call), then a record that it finished. */
async function fulfil(event: WebhookEvent): Promise<void> {
  runs++
  await new Promise((resolve) => setTimeout(resolve, 100))
  if (config.failFirst && runs === 1) throw new Error('downstream API unavailable')
  appendFileSync(config.marker, `${event.id}\n`)
}

const provider = stripe({ secret: config.secret })
const pending: Array<Promise<unknown>> = []
const waitUntil = (promise: Promise<unknown>): void => void pending.push(promise)

// What Vercel and Netlify install for Next.js after(): a request-scoped context with waitUntil.
const requestContext = new AsyncLocalStorage<{ waitUntil: typeof waitUntil }>()
;(globalThis as Record<symbol, unknown>)[Symbol.for('@next/request-context')] = {
  get: () => requestContext.getStore(),
}

function app(): (request: Request, env?: unknown, ctx?: unknown) => Promise<Response> {
  const logger = false as const
  switch (config.mode) {
    case 'memory-queue':
      return hookguard({ provider, handler: fulfil, logger })
    case 'inline':
      return hookguard({ provider, logger }, { inline: fulfil, logger })
    case 'workers-ctx':
    case 'next-request-context':
      return hookguard({ provider, handler: fulfil, logger })
    case 'wait-until-option':
      return hookguard({ provider, handler: fulfil, logger }, { waitUntil })
  }
}

const handler = app()

async function toRequest(req: IncomingMessage, port: number): Promise<Request> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  return new Request(`http://127.0.0.1:${port}${req.url}`, {
    method: req.method,
    headers,
    body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
  })
}

function invoke(request: Request): Promise<Response> {
  if (config.mode === 'workers-ctx') return handler(request, {}, { waitUntil })
  if (config.mode === 'next-request-context') return requestContext.run({ waitUntil }, () => handler(request))
  return handler(request)
}

const server = createServer((req, res) => {
  void (async () => {
    const port = (server.address() as AddressInfo).port
    const response = await invoke(await toRequest(req, port))
    const body = Buffer.from(await response.arrayBuffer())
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => (headers[name] = value))
    res.writeHead(response.status, headers)
    res.end(body)
    // The platform keeps the instance running only for what was handed to waitUntil.
    const waited = pending.splice(0)
    if (waited.length > 0) await Promise.allSettled(waited)
    process.kill(process.pid, 'SIGSTOP')
  })()
})
server.keepAliveTimeout = 0
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ listening: (server.address() as AddressInfo).port })}\n`)
})
