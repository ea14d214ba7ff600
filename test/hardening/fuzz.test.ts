/**
 * fast-check properties over real HTTP through every adapter (issue 10, 9):
 * header maps built from a valid signed delivery of a random FIXTURES
 * provider, with headers repeated, re-cased, reordered, odd Unicode and
 * control bytes, very long values and extra headers with secret-looking
 * names, sent over a raw socket.
 *
 * The oracle:
 * - A delivery whose lines were only re-cased, reordered, or joined by
 *   headers the provider does not look up (nor the pipeline: framing,
 *   Content-Encoding, Host), or by copies of headers it does not read, is
 *   the valid delivery: 200 accepted (or duplicate). When a line holds a
 *   byte HTTP forbids (a control character, a name outside the token
 *   alphabet, a head near Node's 16 KiB limit), Node's parser may refuse it
 *   first with its own 400/431 (Fastify: a JSON 400 `Client Error`).
 * - A delivery where a header the provider reads arrives twice (any values,
 *   any case, anywhere) is never 2xx and never enqueued: 400
 *   header.duplicated on every adapter, or a 4xx from the layer below
 *   (Node's parser as above; Fastify's 415 or @hono/node-server's 400 when
 *   the copy is a Content-Type or a Host they cannot parse).
 * - Never a 5xx; and the response, every log line (all levels) and every
 *   enqueued event are free of the secret, of every signature value, and
 *   of the values of the secret-looking extra headers.
 *
 * The default run is short and seeded (HOOKGUARD_FUZZ_RUNS runs per adapter
 * per property, default 30; HOOKGUARD_FUZZ_SEED). Longer:
 * `HOOKGUARD_FUZZ_RUNS=1000 npx vitest run test/hardening/fuzz.test.ts`.
 */
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { ADAPTERS, type AdapterUnderTest, type Running } from '../adapters/servers.js'
import { FIXTURES, type ProviderFixture } from '../support/providers.js'
import { createReceiver, type Receiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { LogFields, Logger, Provider, QueuedEvent } from '../../src/types/index.js'
import { sendRaw, wire, type Line, type RawAnswer } from './raw-http.js'
import { alike, headersRead, JOINABLE, secretsOf, signatureFragments, wireHeaders, type Reads } from './reads.js'

const RUNS = Number(process.env.HOOKGUARD_FUZZ_RUNS ?? 30)
const SEED = Number(process.env.HOOKGUARD_FUZZ_SEED ?? 0x5eed10)
// Shrinking re-sends real requests; a longer run gets more time per property.
const TIMEOUT_MS = Math.max(60_000, RUNS * 2_000)

/** Names that carry credentials in some scheme: hookguard must redact their values everywhere. */
const SECRET_NAMES = [
  'x-api-key',
  'x-auth-token',
  'x-client-secret',
  'x-webhook-secret',
  'x-access-token',
  'x-password',
  'proxy-authorization',
  'cookie',
  'authorization',
  'x-hub-signature',
  'x-signature',
  'x-hook-secret',
  'x-shopify-access-token',
]
const PLAIN_NAMES = ['accept', 'user-agent', 'x-request-id', 'x-forwarded-for', 'x-correlation-id', 'via', 'forwarded']
/** Look-alike names outside the token alphabet (hyphen U+2010, fullwidth x, a space): HTTP refuses them. */
const ODD_NAMES = ['x\u2010signature', '\uff58-api-key', 'x-sig nature', 'stripe\u2011signature'].map(wire)
/**
 * Never added nor copied as if harmless: they frame the request or steer
 * the pipeline or the framework (Fastify parses Content-Type itself and
 * answers 415 to one it cannot parse), not the provider.
 */
const PIPELINE_NAMES = new Set([
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'content-encoding',
  'connection',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
])

const CONTROL = fc.constantFrom('\x00', '\x01', '\x08', '\x0b', '\x1b', '\x7f', '\t', 'a', '=', ',')
const LOOK_ALIKES = fc.constantFrom(
  'ѕha256=', // Cyrillic dze
  'v1，', // fullwidth comma
  'ｔ=１７００００００００', // fullwidth letters and digits
  '\u200bv1=', // zero-width space
  'İ', // lower-cases to two code units
  '\u212a', // Kelvin sign: lower-cases to ASCII k
  '\ufeff',
)

/** Header values as they travel (latin1 text of their bytes), CR and LF left out: they would frame new lines. */
const valueArb: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(wire) },
    { weight: 2, arbitrary: fc.array(LOOK_ALIKES, { minLength: 1, maxLength: 4 }).map((a) => wire(a.join(''))) },
    { weight: 1, arbitrary: fc.string({ unit: CONTROL, minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 2000, maxLength: 6000 }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}, ${b}`),
    },
    { weight: 1, arbitrary: fc.constant('') },
  )
  .map((value) => value.replace(/[\r\n]/g, ''))

const secretValueArb = fc.stringMatching(/^[A-Za-z0-9]{16,32}$/).map((s) => `sek_${s}`)

type CopyValue = { kind: 'same' } | { kind: 'alike' } | { kind: 'junk'; value: string }

interface Repeat {
  pick: number
  value: CopyValue
  position: number
  upper: boolean
}

interface Extra {
  name: string
  secretValue: string
  value: string
  position: number
}

interface Plan {
  fixture: number
  id: string
  /** Sort keys for the lines: a permutation. */
  order: number[]
  /** Per-character case flips of every name, from this seed. */
  casing: number
  extras: Extra[]
  repeats: Repeat[]
}

const copyArb: fc.Arbitrary<CopyValue> = fc.oneof(
  fc.constant({ kind: 'same' as const }),
  fc.constant({ kind: 'alike' as const }),
  valueArb.map((value) => ({ kind: 'junk' as const, value })),
)

const repeatArb: fc.Arbitrary<Repeat> = fc.record({
  pick: fc.nat(),
  value: copyArb,
  position: fc.nat(),
  upper: fc.boolean(),
})

const extraArb: fc.Arbitrary<Extra> = fc.record({
  name: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...SECRET_NAMES) },
    { weight: 3, arbitrary: fc.constantFrom(...PLAIN_NAMES) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_NAMES) },
  ),
  secretValue: secretValueArb,
  value: valueArb,
  position: fc.nat(),
})

function planArb(repeats: { minLength: number; maxLength: number }): fc.Arbitrary<Plan> {
  return fc.record({
    fixture: fc.nat({ max: FIXTURES.length - 1 }),
    id: fc.stringMatching(/^[A-Za-z0-9_-]{6,24}$/),
    order: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
    casing: fc.nat(),
    extras: fc.array(extraArb, { maxLength: 4 }),
    repeats: fc.array(repeatArb, repeats),
  })
}

interface Subject {
  fixture: ProviderFixture
  provider: Provider
  receiver: Receiver
  server: Running
  reads: Reads
  logs: string[]
  enqueued: QueuedEvent[]
  secrets: string[]
}

/** Every level, each line with its fields as JSON, so a value anywhere in them shows. */
function everyLevel(lines: string[]): Logger {
  const keep = (level: string) => (fields: LogFields, message: string) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields, (_k, v) => (v instanceof Error ? String(v) : v))}`)
  }
  return { error: keep('error'), warn: keep('warn'), info: keep('info'), debug: keep('debug') }
}

const subjects = new Map<string, Promise<Subject>>()

async function startSubject(adapter: AdapterUnderTest, fixture: ProviderFixture): Promise<Subject> {
  const provider = fixture.make()
  const logs: string[] = []
  const enqueued: QueuedEvent[] = []
  const receiver = createReceiver({
    provider,
    queue: { enqueue: async (event) => void enqueued.push(event) },
    logger: everyLevel(logs),
  })
  const server = await adapter.start(receiver)
  const probe = await signRequest(provider, { body: fixture.body('evt_probe'), id: 'evt_probe', url: server.url })
  const reads = await headersRead(provider, { headers: probe.headers, body: probe.body }, server.url)
  return { fixture, provider, receiver, server, reads, logs, enqueued, secrets: secretsOf(fixture) }
}

function subjectFor(adapter: AdapterUnderTest, fixture: ProviderFixture): Promise<Subject> {
  const key = `${adapter.name}/${fixture.name}`
  let subject = subjects.get(key)
  if (!subject) subjects.set(key, (subject = startSubject(adapter, fixture)))
  return subject
}

afterAll(async () => {
  for (const pending of subjects.values()) {
    const subject = await pending.catch(() => undefined)
    if (!subject) continue
    await subject.server.close()
    await subject.receiver.close()
  }
})

/** A tiny deterministic generator, so one number in the plan decides every case flip. */
function flips(seed: number): () => boolean {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state & 1) === 1
  }
}

function recase(name: string, next: () => boolean): string {
  return [...name].map((c) => (next() ? c.toUpperCase() : c.toLowerCase())).join('')
}

interface Built {
  lines: Line[]
  /** Names of headers the provider reads that now arrive more than once. */
  repeatedReads: string[]
  /** Values that must never show in any output. */
  secretValues: string[]
  /** A line holds a byte HTTP forbids, or the head nears Node's 16 KiB limit: Node's parser may answer first. */
  httpMayRefuse: boolean
}

/** Applies the plan to the delivery's lines. `mayRepeat` says which header names a repeat can pick. */
function build(
  subject: Subject,
  plan: Plan,
  headers: Record<string, string>,
  mayRepeat: (name: string) => boolean,
): Built {
  const next = flips(plan.casing)
  const base = Object.entries(headers)
  const lines: Line[] = base
    .map(([name, value], i) => ({
      line: [recase(name, next), value] as Line,
      key: plan.order[i % plan.order.length]! * 64 + i,
    }))
    .sort((a, b) => a.key - b.key)
    .map(({ line }) => line)
  const candidates = base.filter(([name]) => mayRepeat(name))
  const repeatedReads = new Set<string>()
  for (const repeat of plan.repeats) {
    if (candidates.length === 0) break
    const [name, value] = candidates[repeat.pick % candidates.length]!
    const copy =
      repeat.value.kind === 'same' ? value : repeat.value.kind === 'alike' ? alike(value) : repeat.value.value
    lines.splice(repeat.position % (lines.length + 1), 0, [
      repeat.upper ? name.toUpperCase() : recase(name, next),
      copy,
    ])
    if (subject.reads.present.includes(name)) repeatedReads.add(name)
  }
  const secretValues: string[] = []
  const taken = new Set([...base.map(([n]) => n), ...subject.reads.looked, ...PIPELINE_NAMES])
  // An extra name may come twice: copies of a header nobody reads change nothing.
  for (const extra of plan.extras) {
    if (taken.has(extra.name)) continue
    const secretLooking = SECRET_NAMES.includes(extra.name)
    if (secretLooking) secretValues.push(extra.secretValue)
    lines.splice(extra.position % (lines.length + 1), 0, [
      recase(extra.name, next),
      secretLooking ? extra.secretValue : extra.value,
    ])
  }
  const size = lines.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0)
  const httpMayRefuse =
    size > 15_000 ||
    // eslint-disable-next-line no-control-regex
    lines.some(([name, value]) => !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\x00-\x08\x0a-\x1f\x7f]/.test(value))
  return { lines, repeatedReads: [...repeatedReads], secretValues, httpMayRefuse }
}

async function signedHeaders(
  subject: Subject,
  id: string,
): Promise<{ headers: Record<string, string>; body: string | Uint8Array; fragments: string[] }> {
  const signed = await signRequest(subject.provider, { body: subject.fixture.body(id), id, url: subject.server.url })
  const delivery = { headers: signed.headers, body: signed.body }
  return {
    headers: wireHeaders(delivery, subject.server.url),
    body: signed.body,
    fragments: signatureFragments(subject.provider, delivery),
  }
}

/** Nothing secret in the answer, the logs, or the events enqueued since `from`. */
function expectNoLeak(
  subject: Subject,
  answer: RawAnswer,
  forbidden: string[],
  from: { logs: number; enqueued: number },
): void {
  const outputs = [
    answer.head,
    answer.text,
    ...subject.logs.slice(from.logs),
    ...subject.enqueued.slice(from.enqueued).map((event) => JSON.stringify(event)),
  ].join('\n')
  for (const value of forbidden)
    if (outputs.includes(value)) expect.fail(`output holds ${JSON.stringify(value.slice(0, 24))}…`)
}

function codeOf(answer: RawAnswer): string | undefined {
  return (answer.json as { error?: { code?: string } } | undefined)?.error?.code
}

describe.each(ADAPTERS.map((adapter, index) => [adapter.name, adapter, index] as const))(
  'adapter %s, over HTTP',
  (_name, adapter, index) => {
    it(
      'a header the provider reads, sent again in any case, value and place, is never 2xx or 5xx, never enqueued: 400 header.duplicated',
      async () => {
        let checked = 0
        await fc.assert(
          fc.asyncProperty(planArb({ minLength: 1, maxLength: 3 }), async (plan) => {
            const subject = await subjectFor(adapter, FIXTURES[plan.fixture]!)
            // Headers whose grammar allows ', ' are pinned per adapter in repeated-headers.test.ts.
            const joinable = new Set(JOINABLE[subject.fixture.name] ?? [])
            const readable = (name: string) => subject.reads.present.includes(name) && !joinable.has(name)
            if (!subject.reads.present.some(readable)) return
            const delivery = await signedHeaders(subject, plan.id)
            const built = build(subject, plan, delivery.headers, readable)
            const from = { logs: subject.logs.length, enqueued: subject.enqueued.length }
            const answer = await sendRaw(subject.server.url, { lines: built.lines, body: delivery.body })
            const where = `${subject.fixture.name}: ${answer.status} ${answer.text.slice(0, 200)}`
            expect(built.repeatedReads.length, where).toBeGreaterThan(0)
            // Frameworks read these themselves: a junk copy can be their 4xx before hookguard runs
            // (Fastify's 415 for a Content-Type, @hono/node-server's 400 for a Host it cannot parse).
            const frameworkRead = built.repeatedReads.some((name) => name === 'content-type' || name === 'host')
            if (answer.bare) expect(built.httpMayRefuse || frameworkRead, where).toBe(true)
            else
              expect({ status: answer.status, code: codeOf(answer) }, where).toEqual({
                status: 400,
                code: 'header.duplicated',
              })
            expect(subject.enqueued.length, where).toBe(from.enqueued)
            expectNoLeak(subject, answer, [...subject.secrets, ...delivery.fragments, ...built.secretValues], from)
            checked++
          }),
          { numRuns: RUNS, seed: SEED + index },
        )
        expect(checked).toBeGreaterThan(0)
      },
      TIMEOUT_MS,
    )

    it(
      'the valid delivery re-cased, reordered, with unrelated or secret-looking extra headers and copies of unread ones is 200, and leaks nothing',
      async () => {
        let accepted = 0
        await fc.assert(
          fc.asyncProperty(planArb({ minLength: 0, maxLength: 2 }), async (plan) => {
            const subject = await subjectFor(adapter, FIXTURES[plan.fixture]!)
            const unread = (name: string) => !subject.reads.looked.has(name) && !PIPELINE_NAMES.has(name)
            const delivery = await signedHeaders(subject, plan.id)
            const built = build(subject, plan, delivery.headers, unread)
            const from = { logs: subject.logs.length, enqueued: subject.enqueued.length }
            const answer = await sendRaw(subject.server.url, { lines: built.lines, body: delivery.body })
            const where = `${subject.fixture.name}: ${answer.status} ${answer.text.slice(0, 200)}`
            expect(built.repeatedReads, where).toEqual([])
            if (answer.bare) expect(built.httpMayRefuse, where).toBe(true)
            else {
              expect(answer.status, where).toBe(200)
              expect(['accepted', 'duplicate'], where).toContain(answer.headers['hookguard-outcome'])
              accepted++
            }
            expectNoLeak(subject, answer, [...subject.secrets, ...delivery.fragments, ...built.secretValues], from)
          }),
          { numRuns: RUNS, seed: SEED + 100 + index },
        )
        expect(accepted).toBeGreaterThan(0)
      },
      TIMEOUT_MS,
    )
  },
)

describe('the leak oracle', () => {
  it('finds a secret for every fixture built from one, so the no-leak checks are not vacuous', () => {
    for (const fixture of FIXTURES) expect(secretsOf(fixture), fixture.name).not.toEqual([])
  })
})
