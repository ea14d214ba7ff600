/**
 * The one case table every adapter runs. A case builds its receiver (store,
 * queue, limits), sends real HTTP requests and states what every adapter
 * must answer. Provider cases run once per entry of FIXTURES, so a provider
 * added there is covered here too.
 */
import type { Answer, Sent } from './http.js'
import type { ProviderFixture } from '../support/providers.js'
import { sendRaw, type Line } from '../hardening/raw-http.js'
import { alike, headersRead, JOINABLE, READS_NO_HEADER, wireHeaders } from '../hardening/reads.js'
import { signRequest } from '../../src/testing.js'
import type { DedupeStore, Provider, QueuedEvent, WebhookQueue } from '../../src/types/index.js'
import type { ReceiverOptions } from '../../src/receiver/index.js'

export interface CaseEnv {
  fixture: ProviderFixture
  provider: Provider
  /** Full URL of the endpoint on this adapter's server. */
  url: string
  send(sent: Sent): Promise<Answer>
  /** A correctly signed delivery of `fixture.body(id)`. */
  signed(options?: { id?: string; timestamp?: number }): Promise<Sent>
  /** Events the receiver's queue accepted. */
  enqueued: QueuedEvent[]
  /** Lines the receiver logged. */
  logs: string[]
  /** Set by the case's own `setup`, for its `run`. */
  state: Record<string, any>
}

export interface Expected {
  /** One status per response, in order; an array lists the statuses allowed. */
  statuses: Array<number | number[]>
  /** Per response, the body's `status` (2xx) or `error.code` (others); `*` = any of `codes`. */
  codes?: string[]
  /** Allowed codes for `*`. */
  anyOf?: string[]
  enqueued: number
  /** Header values expected on the last response (lower-case names). */
  headers?: Record<string, string>
}

export interface Setup {
  receiver?: Partial<ReceiverOptions>
  bodyTimeoutMs?: number
  preParsed?: boolean
  state?: Record<string, any>
}

export interface AdapterCase {
  name: string
  /**
   * true: runs once per FIXTURES entry (whatever depends on the scheme: signature, timestamp, id).
   * false: the scheme plays no part, so it runs with one fixture only.
   */
  perProvider: boolean
  /** Which fixtures it applies to (default all). */
  applies?: (fixture: ProviderFixture) => boolean
  /** Only adapters where a body parser can run first. */
  needsPreParse?: boolean
  setup?: (env: { enqueued: QueuedEvent[] }) => Setup
  run(env: CaseEnv): Promise<Answer[]>
  expected: Expected
  /** Extra checks on the environment after the run. */
  after?: (env: CaseEnv, answers: Answer[]) => void
}

const SMALL_LIMIT = 1024

/** A gate: `wait()` blocks until `open()`. */
function gate(): { wait(): Promise<void>; open(): void; reached: Promise<void>; reach(): void } {
  let open!: () => void
  let reach!: () => void
  const opened = new Promise<void>((r) => (open = r))
  const reached = new Promise<void>((r) => (reach = r))
  return { wait: () => opened, open, reached, reach }
}

/** Sent with its body changed by one byte after signing. */
function tampered(sent: Sent): Sent {
  const body = typeof sent.body === 'string' ? sent.body : new TextDecoder().decode(sent.body)
  return { ...sent, body: `${body} ` }
}

/** The error code of an answer, or undefined. */
function errorCode(answer: Answer): string | undefined {
  return (answer.json as { error?: { code?: string } } | undefined)?.error?.code
}

/** Two lines of one header: the valid value in one or both, the other of the same shape (another MAC, time, id). */
const REPEATS: Array<{ label: string; lines: (name: string, value: string) => Line[] }> = [
  {
    label: 'junk + valid',
    lines: (name, value) => [
      [name, alike(value)],
      [name, value],
    ],
  },
  {
    label: 'valid + junk',
    lines: (name, value) => [
      [name, value],
      [name, alike(value)],
    ],
  },
  {
    label: 'valid + valid, the copy upper-case',
    lines: (name, value) => [
      [name, value],
      [name.toUpperCase(), value],
    ],
  },
]

/**
 * Sends the delivery once per header the provider reads and per REPEATS
 * variant, over a raw socket (node:http cannot send Host twice). Returns
 * one answer per variant: the first that is not 400 header.duplicated,
 * labelled with its header, else the first.
 */
async function repeatedHeaderAnswers(env: CaseEnv): Promise<Answer[]> {
  const sent = await env.signed()
  const delivery = { headers: sent.headers ?? {}, body: sent.body ?? '' }
  const headers = wireHeaders(delivery, env.url)
  const skip = JOINABLE[env.fixture.name] ?? []
  const names = (await headersRead(env.provider, delivery, env.url)).present.filter((n) => !skip.includes(n))
  if (names.length === 0) throw new Error(`${env.fixture.name}: no header is read, so none can be repeated`)
  return Promise.all(
    REPEATS.map(async (variant) => {
      const answers = await Promise.all(
        names.map(async (name) => {
          const lines = Object.entries(headers).flatMap(([n, v]): Line[] =>
            n === name ? variant.lines(n, v) : [[n, v]],
          )
          const answer = await sendRaw(env.url, { lines, body: delivery.body })
          return { ...answer, text: `${name} (${variant.label}): ${answer.text}` }
        }),
      )
      return answers.find((a) => a.status !== 400 || errorCode(a) !== 'header.duplicated') ?? answers[0]!
    }),
  )
}

/** The header of `headers` named `name` in any case. */
function nameIn(headers: Record<string, string>, name: string): string {
  const found = Object.keys(headers).find((n) => n.toLowerCase() === name)
  if (found === undefined) throw new Error(`no ${name} header in the signed delivery`)
  return found
}

/** A `key=value` list with a well-formed wrong `key` entry put before the valid one. */
function junkEntryFirst(header: string, separator: string, key: string) {
  return (headers: Record<string, string>): Record<string, string> => {
    const name = nameIn(headers, header)
    const entries = headers[name]!.split(separator)
    const at = entries.findIndex((e) => e.startsWith(`${key}=`))
    const value = entries[at]!.slice(key.length + 1)
    entries.splice(at, 0, `${key}=${alike(value)}`)
    return { ...headers, [name]: entries.join(separator) }
  }
}

/** Standard Webhooks' space-separated `v1,<base64>` list, a wrong signature first. */
function junkSignatureFirst(headers: Record<string, string>): Record<string, string> {
  const name = Object.keys(headers).find((n) => /^(webhook|svix)-signature$/i.test(n))!
  const [scheme, mac] = headers[name]!.split(',') as [string, string]
  return { ...headers, [name]: `${scheme},${alike(mac)} ${headers[name]}` }
}

/**
 * Senders that put several signatures in one header (or in numbered
 * headers) during a key rotation: the delivery with a wrong signature
 * added before the valid one, as the sender's own format writes it.
 */
export const ROTATIONS: Record<string, (headers: Record<string, string>) => Record<string, string>> = {
  standardWebhooks: junkSignatureFirst,
  'standardWebhooks v1a': junkSignatureFirst,
  clerk: junkSignatureFirst,
  resend: junkSignatureFirst,
  brex: junkSignatureFirst,
  stripe: junkEntryFirst('stripe-signature', ',', 'v1'),
  mux: junkEntryFirst('mux-signature', ',', 'v1'),
  calendly: junkEntryFirst('calendly-webhook-signature', ',', 'v1'),
  pagerduty: junkEntryFirst('x-pagerduty-signature', ',', 'v1'),
  paddle: junkEntryFirst('paddle-signature', ';', 'h1'),
  box(headers) {
    const primary = nameIn(headers, 'box-signature-primary')
    return { ...headers, [primary]: alike(headers[primary]!), 'box-signature-secondary': headers[primary]! }
  },
  docusign(headers) {
    const first = nameIn(headers, 'x-docusign-signature-1')
    return { ...headers, [first]: alike(headers[first]!), 'x-docusign-signature-2': headers[first]! }
  },
  // Not a rotation: the space after the comma the Sanity SDK allows, so ', ' itself must pass the Fetch adapter.
  sanity(headers) {
    const name = nameIn(headers, 'sanity-webhook-signature')
    return { ...headers, [name]: headers[name]!.replace(',', ', ') }
  },
}

export const CASES: AdapterCase[] = [
  {
    name: 'valid delivery is accepted and enqueued once',
    perProvider: true,
    run: async (env) => [await env.send(await env.signed())],
    expected: { statuses: [200], codes: ['accepted'], enqueued: 1, headers: { 'hookguard-outcome': 'accepted' } },
    after(env) {
      if (env.enqueued[0]?.provider !== env.provider.name)
        throw new Error(`enqueued event has provider ${env.enqueued[0]?.provider}`)
    },
  },
  {
    name: 'a second send of the same delivery is a 200 duplicate, not enqueued again',
    perProvider: true,
    async run(env) {
      const sent = await env.signed()
      return [await env.send(sent), await env.send(sent)]
    },
    expected: {
      statuses: [200, 200],
      codes: ['accepted', 'duplicate'],
      enqueued: 1,
      headers: { 'hookguard-outcome': 'duplicate', 'hookguard-duplicate': 'true' },
    },
  },
  {
    name: 'the same event arriving while the first is still being enqueued gets 409 + Retry-After',
    perProvider: false,
    setup(env) {
      const slow = gate()
      const queue: WebhookQueue = {
        async enqueue(event) {
          slow.reach()
          await slow.wait()
          env.enqueued.push(event)
        },
      }
      return { receiver: { queue, queueTimeoutMs: 5000, leaseMs: 30_000 }, state: { slow } }
    },
    async run(env) {
      const sent = await env.signed()
      const first = env.send(sent)
      await env.state.slow.reached
      const second = await env.send(sent)
      env.state.slow.open()
      return [second, await first]
    },
    expected: { statuses: [409, 200], codes: ['event.in_flight', 'accepted'], enqueued: 1 },
    after(_env, answers) {
      if (answers[0]?.headers['retry-after'] === undefined) throw new Error('409 without Retry-After')
    },
  },
  {
    name: 'a forged signature (body changed after signing) is 401',
    perProvider: true,
    applies: (f) => f.bodySigned !== false,
    run: async (env) => [await env.send(tampered(await env.signed()))],
    expected: { statuses: [401], codes: ['unauthorized'], enqueued: 0 },
  },
  {
    name: 'a stale timestamp is 401',
    perProvider: true,
    applies: (f) => f.timestamped,
    run: async (env) => [await env.send(await env.signed({ timestamp: Math.floor(Date.now() / 1000) - 3600 }))],
    expected: { statuses: [401], codes: ['unauthorized'], enqueued: 0 },
  },
  {
    name: 'a timestamp from the future is 401',
    perProvider: true,
    applies: (f) => f.timestamped,
    run: async (env) => [await env.send(await env.signed({ timestamp: Math.floor(Date.now() / 1000) + 3600 }))],
    expected: { statuses: [401], codes: ['unauthorized'], enqueued: 0 },
  },
  {
    name: 'malformed signature headers are a 4xx, never enqueued',
    perProvider: true,
    applies: (f) => f.signatureInBody !== true,
    async run(env) {
      const sent = await env.signed()
      const headers = { ...sent.headers }
      const sensitive = new Set(env.provider.sensitiveHeaders.map((h) => h.toLowerCase()))
      for (const name of Object.keys(headers))
        if (sensitive.has(name.toLowerCase())) headers[name] = '!!not=a,signature!!'
      return [await env.send({ ...sent, headers })]
    },
    expected: {
      statuses: [[400, 401]],
      codes: ['*'],
      anyOf: ['unauthorized', 'signature.malformed', 'header.malformed', 'timestamp.malformed'],
      enqueued: 0,
    },
  },
  {
    // Node adapters see the copies (rawHeaders); the Fetch adapter sees them joined with ', ', refused by kit/headers.ts.
    name: 'a header the provider reads, sent twice (junk + valid, valid + junk, valid + valid), is 400 header.duplicated',
    perProvider: true,
    applies: (f) => !READS_NO_HEADER.has(f.name),
    run: repeatedHeaderAnswers,
    expected: {
      statuses: [400, 400, 400],
      codes: ['header.duplicated', 'header.duplicated', 'header.duplicated'],
      enqueued: 0,
    },
  },
  {
    name: "several signatures in the sender's own list format (key rotation) still verify",
    perProvider: true,
    applies: (f) => f.name in ROTATIONS,
    async run(env) {
      const sent = await env.signed()
      return [await env.send({ ...sent, headers: ROTATIONS[env.fixture.name]!(sent.headers ?? {}) })]
    },
    expected: { statuses: [200], codes: ['accepted'], enqueued: 1 },
  },
  {
    name: 'the queue down is 503 + Retry-After, nothing enqueued, and the reservation released',
    perProvider: false,
    setup(env) {
      let failures = 1
      const queue: WebhookQueue = {
        async enqueue(event) {
          if (failures-- > 0) throw new Error('queue down')
          env.enqueued.push(event)
        },
      }
      return { receiver: { queue } }
    },
    async run(env) {
      const sent = await env.signed()
      // The retry goes through only if the first attempt released its reservation.
      return [await env.send(sent), await env.send(sent)]
    },
    expected: { statuses: [503, 200], codes: ['queue.unavailable', 'accepted'], enqueued: 1 },
    after(_env, answers) {
      if (answers[0]?.headers['retry-after'] !== '5')
        throw new Error(`503 with Retry-After ${answers[0]?.headers['retry-after']}`)
    },
  },
  {
    name: 'the store down is 503 + Retry-After, nothing enqueued',
    perProvider: false,
    setup() {
      const store: DedupeStore = {
        reserve: () => Promise.reject(new Error('store down')),
        complete: () => Promise.reject(new Error('store down')),
        release: () => Promise.reject(new Error('store down')),
      }
      return { receiver: { store } }
    },
    run: async (env) => [await env.send(await env.signed())],
    expected: { statuses: [503], codes: ['store.unavailable'], enqueued: 0, headers: { 'retry-after': '5' } },
  },
  {
    name: 'a Content-Length over the limit is 413 before any body byte is sent',
    perProvider: false,
    setup: () => ({ receiver: { maxBodyBytes: SMALL_LIMIT } }),
    async run(env) {
      const sent = await env.signed()
      return [
        await env.send({
          headers: sent.headers,
          partial: { bytes: new Uint8Array(0), declaredLength: SMALL_LIMIT * 4 },
        }),
      ]
    },
    expected: { statuses: [413], codes: ['body.too_large'], enqueued: 0 },
  },
  {
    name: 'a chunked body is answered 413 as soon as it crosses the limit, without waiting for its end',
    perProvider: false,
    setup: () => ({ receiver: { maxBodyBytes: SMALL_LIMIT } }),
    async run(env) {
      const sent = await env.signed()
      return [await env.send({ headers: sent.headers, partial: { bytes: new Uint8Array(SMALL_LIMIT * 2).fill(0x20) } })]
    },
    expected: { statuses: [413], codes: ['body.too_large'], enqueued: 0 },
  },
  {
    name: 'a body that does not arrive within bodyTimeoutMs is 408',
    perProvider: false,
    setup: () => ({ bodyTimeoutMs: 250 }),
    async run(env) {
      const sent = await env.signed()
      return [
        await env.send({
          headers: sent.headers,
          partial: { bytes: new Uint8Array(10).fill(0x20), declaredLength: 100 },
        }),
      ]
    },
    expected: { statuses: [408], codes: ['body.timeout'], enqueued: 0 },
  },
  {
    name: 'a method other than POST is 405 + Allow: POST',
    perProvider: false,
    run: async (env) => [await env.send({ method: 'GET' })],
    expected: { statuses: [405], codes: ['method.not_allowed'], enqueued: 0, headers: { allow: 'POST' } },
  },
  {
    name: 'a Content-Encoding other than identity is 415 (never decompressed)',
    perProvider: false,
    async run(env) {
      const sent = await env.signed()
      return [await env.send({ ...sent, headers: { ...sent.headers, 'content-encoding': 'gzip' } })]
    },
    expected: { statuses: [415], codes: ['body.encoding_unsupported'], enqueued: 0 },
  },
  {
    name: 'a body parsed by a JSON body parser first is 500 body.consumed with a log line naming the fix',
    perProvider: false,
    needsPreParse: true,
    setup: () => ({ preParsed: true }),
    run: async (env) => [await env.send(await env.signed())],
    expected: { statuses: [500], codes: ['body.consumed'], enqueued: 0 },
    after(env) {
      if (!env.logs.some((line) => /mount hookguard before/i.test(line)))
        throw new Error(`no log line naming the fix: ${JSON.stringify(env.logs)}`)
    },
  },
]

export async function signedFor(
  fixture: ProviderFixture,
  provider: Provider,
  url: string,
  options: { id?: string; timestamp?: number } = {},
): Promise<Sent> {
  const id = options.id ?? 'evt_case_0001'
  const signed = await signRequest(provider, {
    body: fixture.body(id),
    id,
    url,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  })
  return { headers: signed.headers, body: signed.body }
}
