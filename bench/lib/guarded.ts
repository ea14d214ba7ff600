/**
 * hookguard's guarantees written by hand for node:http, as cheaply as a
 * careful developer could write them in one file with no options, no
 * abstraction and one provider: the floor under what those guarantees cost,
 * to set beside the adapter (the `guarded` server of bench:instructions and
 * bench:perf).
 *
 * What it does for every request, as hookguard does with `github()`,
 * `memoryStore()` and `memoryQueue()`:
 * - POST only, no content-encoding, Content-Length under the limit before a byte is read;
 * - headers from `rawHeaders`, so a repeated signature or id header is refused instead of joined;
 * - the body read under a byte limit and a deadline (one shared sweep, no timer per request);
 * - the signature strictly decoded (exactly 64 hex digits), HMAC-SHA256, length check, `timingSafeEqual`;
 * - strict UTF-8 and JSON (an object), the event type with its action;
 * - the delivery id bounded, free of control characters and well-formed; the dedupe key a digest of the MAC;
 * - an event with the headers redacted;
 * - a lease on the key (409 while another delivery holds it), then the key kept as done for 4 days
 *   (100 000 keys at most, oldest evicted);
 * - the event queued and answered 200 before the handler runs; the handler runs after the answer, a failure
 *   retried with backoff and dead-lettered after five attempts; finished keys remembered (10 000);
 * - the same answer: JSON body with the id, `cache-control: no-store`, `hookguard-outcome`.
 *
 * It has no logs, metrics, hooks, limits on pending work, inspector or archive, and knows one provider.
 */
import { createHmac, hash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyReply } from 'fastify'

const MAX_BODY_BYTES = 1024 * 1024
const BODY_TIMEOUT_MS = 10_000
const LEASE_MS = 30_000
const RETENTION_MS = 4 * 24 * 3600 * 1000
const MAX_KEYS = 100_000
const REMEMBER_DONE = 10_000
const MAX_ID_LENGTH = 512
const MAX_ATTEMPTS = 5
const KEY_PREFIX = 'github:default:~'
const SENSITIVE = /signature|token|secret|hmac|api-?key|password|credential|auth|cookie|-sig$/i
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/
const HEX64 = /^[0-9a-f]{64}$/i
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

type Headers = Record<string, string | string[]>
interface Event {
  id: string
  key: string
  provider: 'github'
  type: string
  receivedAt: number
  payload: Record<string, unknown>
  headers: Record<string, string>
  attempt: number
}

/** Lower-case names and redaction decisions, cached by the name as sent (bounded: names are attacker-chosen). */
const lowerNames = new Map<string, string>()
const sensitiveNames = new Map<string, boolean>()

function headersOf(raw: string[]): Headers {
  const out: Headers = {}
  for (let i = 0; i + 1 < raw.length; i += 2) {
    let name = lowerNames.get(raw[i]!)
    if (name === undefined) {
      name = raw[i]!.toLowerCase()
      if (lowerNames.size < 1024) lowerNames.set(raw[i]!, name)
    }
    const existing = out[name]
    if (existing === undefined) out[name] = raw[i + 1]!
    else out[name] = Array.isArray(existing) ? [...existing, raw[i + 1]!] : [existing, raw[i + 1]!]
  }
  return out
}

function redacted(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name in headers) {
    let sensitive = sensitiveNames.get(name)
    if (sensitive === undefined) {
      sensitive = SENSITIVE.test(name)
      if (sensitiveNames.size < 512) sensitiveNames.set(name, sensitive)
    }
    const value = headers[name]!
    out[name] = sensitive ? '[redacted]' : typeof value === 'string' ? value : value.join(', ')
  }
  return out
}

/** Body reads in the order they started; one sweep every 25 ms fails those past the deadline. */
const reading: { at: number; fail: (() => void) | undefined }[] = []
setInterval(() => {
  const now = Date.now()
  while (reading.length > 0 && (reading[0]!.fail === undefined || reading[0]!.at <= now)) reading.shift()!.fail?.()
}, 25).unref()

function readBody(req: IncomingMessage, done: (body: Buffer | number) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  const watch: (typeof reading)[number] = { at: Date.now() + BODY_TIMEOUT_MS, fail: () => finish(408) }
  reading.push(watch)
  function finish(result: Buffer | number): void {
    if (watch.fail === undefined) return
    watch.fail = undefined
    if (typeof result === 'number') req.pause()
    done(result)
  }
  req.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > MAX_BODY_BYTES) finish(413)
    else chunks.push(chunk)
  })
  req.on('end', () => finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)))
  req.on('error', () => finish(400))
  req.on('close', () => req.readableEnded || finish(400))
}

/** Keys in the order they were first stored, for evicting the oldest in O(1) (Array#shift and a Map's iterator are not). */
class Oldest {
  private items: (string | undefined)[] = []
  private head = 0
  push(key: string): void {
    this.items.push(key)
  }
  shift(): string {
    const key = this.items[this.head]!
    this.items[this.head++] = undefined
    if (this.head >= 65_536) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return key
  }
}

/** The dedupe store: key → lease or done, until `until`. */
const keys = new Map<string, { done: boolean; token: number; until: number }>()
const keyOrder = new Oldest()
let nextToken = 0

function reserve(key: string, now: number): number | 'duplicate' | 'in_flight' {
  const held = keys.get(key)
  if (held !== undefined && held.until > now) return held.done ? 'duplicate' : 'in_flight'
  if (held === undefined) {
    keyOrder.push(key)
    if (keys.size >= MAX_KEYS) keys.delete(keyOrder.shift()!)
  }
  const token = ++nextToken
  keys.set(key, { done: false, token, until: now + LEASE_MS })
  return token
}

function complete(key: string, token: number, now: number): void {
  const held = keys.get(key)
  if (held !== undefined && held.token === token) {
    held.done = true
    held.until = now + RETENTION_MS
  }
}

/** The queue: jobs run after the answer; finished keys remembered so a re-enqueue is refused. */
let jobs: Event[] = []
let scheduled = false
const finished = new Map<string, number>()
const finishedOrder = new Oldest()
export const deadLetters: Event[] = []
export const counts = { handled: 0 }

function enqueue(event: Event): void {
  if (finished.has(event.key)) return
  jobs.push(event)
  if (!scheduled) {
    scheduled = true
    setImmediate(drain)
  }
}

function drain(): void {
  scheduled = false
  const batch = jobs
  jobs = []
  for (const event of batch) attempt(event)
}

function attempt(event: Event): void {
  event.attempt++
  const settle = (failed: boolean): void => {
    if (!failed) {
      if (!finished.has(event.key)) finishedOrder.push(event.key)
      finished.set(event.key, Date.now() + RETENTION_MS)
      if (finished.size > REMEMBER_DONE) finished.delete(finishedOrder.shift())
    } else if (event.attempt >= MAX_ATTEMPTS) deadLetters.push(event)
    else setTimeout(() => attempt(event), 1000 * 2 ** event.attempt).unref()
  }
  try {
    const result: unknown = handler(event)
    if (result instanceof Promise)
      result.then(
        () => settle(false),
        () => settle(true),
      )
    else settle(false)
  } catch {
    settle(true)
  }
}

function handler(_event: Event): void {
  counts.handled++
}

/** Where an answer goes: a node:http response, or a Fastify reply (one server per process, so set once). */
type Target = ServerResponse | FastifyReply
let write = (target: Target, status: number, outcome: string, body: string): void => {
  ;(target as ServerResponse)
    .writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'hookguard-outcome': outcome,
    })
    .end(body)
}

function answer(target: Target, status: number, outcome: string, body: string): void {
  write(target, status, outcome, body)
}

function refuse(res: Target, status: number, code: string): void {
  if (status === 413 || status === 408) (res as ServerResponse).setHeader('connection', 'close')
  answer(res, status, 'rejected', `{"ok":false,"error":{"code":"${code}"}}`)
}

function accept(res: Target, headers: Headers, body: Buffer, receivedAt: number): void {
  const signature = headers['x-hub-signature-256']
  if (typeof signature !== 'string' || !signature.startsWith('sha256=')) return refuse(res, 401, 'unauthorized')
  const hex = signature.slice(7)
  if (!HEX64.test(hex)) return refuse(res, 401, 'unauthorized')
  const mac = createHmac('sha256', SECRET).update(body).digest()
  if (!timingSafeEqual(Buffer.from(hex, 'hex'), mac)) return refuse(res, 401, 'unauthorized')
  let payload: unknown
  try {
    payload = JSON.parse(strictUtf8.decode(body))
  } catch {
    return refuse(res, 400, 'body.malformed')
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    return refuse(res, 400, 'body.malformed')
  const id = headers['x-github-delivery']
  if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH || CONTROL.test(id) || !id.isWellFormed())
    return refuse(res, 400, 'id.invalid')
  const name = headers['x-github-event']
  const action = (payload as { action?: unknown }).action
  const type = typeof name !== 'string' ? '' : typeof action === 'string' ? `${name}.${action}` : name
  const key = KEY_PREFIX + hash('sha256', mac, 'base64url')
  const token = reserve(key, receivedAt)
  if (token === 'duplicate')
    return answer(res, 200, 'duplicate', `{"ok":true,"status":"duplicate","id":${JSON.stringify(id)}}`)
  if (token === 'in_flight') return refuse(res, 409, 'event.in_flight')
  const event: Event = {
    id,
    key,
    provider: 'github',
    type,
    receivedAt,
    payload: payload as Record<string, unknown>,
    headers: redacted(headers),
    attempt: 0,
  }
  enqueue(event)
  complete(key, token, receivedAt)
  answer(res, 200, 'accepted', `{"ok":true,"status":"accepted","id":${JSON.stringify(id)}}`)
}

let SECRET = ''

/** The node:http listener with hookguard's guarantees by hand, for the GitHub secret `secret`. */
export function guardedListener(secret: string): (req: IncomingMessage, res: ServerResponse) => void {
  SECRET = secret
  return function guarded(req, res) {
    const receivedAt = Date.now()
    if (req.method !== 'POST') return refuse(res, 405, 'method.not_allowed')
    const headers = headersOf(req.rawHeaders)
    const encoding = headers['content-encoding']
    if (encoding !== undefined && encoding !== 'identity') return refuse(res, 415, 'body.encoding_unsupported')
    const declared = headers['content-length']
    if (typeof declared === 'string' && Number(declared) > MAX_BODY_BYTES) return refuse(res, 413, 'body.too_large')
    readBody(req, (body) => {
      if (typeof body === 'number') return refuse(res, body, body === 413 ? 'body.too_large' : 'body.timeout')
      accept(res, headers, body, receivedAt)
    })
  }
}

/**
 * The same server on Fastify: a content-type parser reads the raw body under the same limit and deadline (as
 * hookguard's Fastify plugin reads it itself), and the route answers through the reply.
 */
export function guardedFastify(app: FastifyInstance, path: string, secret: string): void {
  SECRET = secret
  write = (target, status, outcome, body) => {
    ;(target as FastifyReply)
      .code(status)
      .headers({
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'hookguard-outcome': outcome,
      })
      .send(body)
  }
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (request, payload, done) => {
    const headers = headersOf(request.raw.rawHeaders)
    const encoding = headers['content-encoding']
    const declared = headers['content-length']
    const refused = (status: number): void => done(Object.assign(new Error('refused'), { statusCode: status }))
    if (encoding !== undefined && encoding !== 'identity') return refused(415)
    if (typeof declared === 'string' && Number(declared) > MAX_BODY_BYTES) return refused(413)
    readBody(payload, (body) => (typeof body === 'number' ? refused(body) : done(null, { headers, body })))
  })
  app.post(path, (request, reply) => {
    const { headers, body } = request.body as { headers: Headers; body: Buffer }
    accept(reply, headers, body, Date.now())
    return reply
  })
}
