/**
 * Property tests for every provider in test/support/providers.ts FIXTURES:
 * sign a random delivery with signRequest, then mutate it, and check what
 * receiver.handle() answers. Written against the Provider contract only, so
 * providers added to FIXTURES are covered without changes here.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createReceiver,
  memoryStore,
  type HandleResult,
  type Provider,
  type Receiver,
  type SignedRequest,
  type WebhookEvent,
} from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { FIXTURES, type ProviderFixture } from '../support/providers.js'

const NOW_MS = 1_700_000_000_000
const NOW_S = NOW_MS / 1000
// FC_RUNS raises it for a soak run (FC_RUNS=5000 npx vitest run test/properties).
const RUNS = Number(process.env.FC_RUNS) || 200
// FC_SEED (and FC_PATH) replay a run CI reported: FC_SEED=… FC_PATH=… npx vitest run test/properties -t '<name>'.
const REPLAY = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH } : {}

type Headers = Record<string, string | string[]>

/** Known secrets to try on each fixture, so responses can be searched for them; see knownSecret(). */
const CANDIDATE_SECRETS = [
  'whsec_' + Buffer.from('hookguard-property-secret-32byte').toString('base64'),
  'hookguard-property-secret-utf8-0123456789',
]

interface Subject {
  fixture: ProviderFixture
  provider: Provider
  /** One receiver per provider for all runs (a receiver per run would spend its time allocating stores). */
  receiver: Receiver
  /** The secret the provider was built with, when the fixture takes one we can choose. */
  secret?: string
}

async function subjectFor(fixture: ProviderFixture): Promise<Subject> {
  for (const secret of CANDIDATE_SECRETS) {
    try {
      const provider = fixture.make({ secret })
      await signRequest(provider, { body: fixture.body('probe'), timestamp: NOW_S, url: fixture.url })
      return { fixture, provider, secret, receiver: receiverFor(provider) }
    } catch {
      // This fixture's secret has another format (or it has no secret): use its own.
    }
  }
  const provider = fixture.make()
  return { fixture, provider, receiver: receiverFor(provider) }
}

function receiverFor(provider: Provider): Receiver {
  return createReceiver({ provider, store: memoryStore({ maxKeys: 10_000 }), now: () => NOW_MS, logger: false })
}

async function run(
  subject: Subject,
  headers: Headers,
  body: string | Uint8Array,
): Promise<{ result: HandleResult; events: WebhookEvent[] }> {
  const events: WebhookEvent[] = []
  const result = await subject.receiver.handle(
    { method: 'POST', url: subject.fixture.url, headers, body },
    { deliver: (event) => (events.push(event), true) },
  )
  return { result, events }
}

/** A valid body for the fixture with id `id`, plus a random extra field when the body is a JSON object. */
function bodyWith(fixture: ProviderFixture, id: string, extra: string): string {
  const body = fixture.body(id)
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return JSON.stringify({ ...parsed, hookguard_extra: extra })
  } catch {
    // Not JSON (form bodies): keep it as the fixture wrote it.
  }
  return body
}

async function signed(
  subject: Subject,
  id: string,
  extra: string,
): Promise<{ headers: Headers; body: string | Uint8Array }> {
  const request: SignedRequest = await signRequest(subject.provider, {
    body: bodyWith(subject.fixture, id, extra),
    id,
    timestamp: NOW_S,
    url: subject.fixture.url,
  })
  return { headers: { ...request.headers }, body: request.body }
}

type Mutation =
  | { kind: 'flip'; index: number; xor: number }
  | { kind: 'set'; header: number; value: string }
  | { kind: 'delete'; header: number }
  | { kind: 'duplicate'; header: number; asArray: boolean }
  | { kind: 'truncate'; header: number; keep: number }
  | { kind: 'append'; header: number; suffix: string }
  | { kind: 'timestamp'; delta: number }

const headerValue = fc.string({ unit: 'binary', maxLength: 64 })

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), index: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), header: fc.nat(), value: headerValue }),
  fc.record({ kind: fc.constant('delete' as const), header: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), header: fc.nat(), asArray: fc.boolean() }),
  fc.record({ kind: fc.constant('truncate' as const), header: fc.nat(), keep: fc.nat() }),
  fc.record({
    kind: fc.constant('append' as const),
    header: fc.nat(),
    suffix: fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }),
  }),
  // Within any tolerance, so a rejection comes from the signature, not the clock.
  fc.record({
    kind: fc.constant('timestamp' as const),
    delta: fc.integer({ min: -60, max: 60 }).filter((d) => d !== 0),
  }),
)

/**
 * Applies the mutations. Returns whether the result must be refused: the
 * signed bytes changed (body, timestamp) or a signature header was altered,
 * removed or made ambiguous. Other header changes (content type, event type,
 * an unsigned delivery id) may legitimately still verify.
 */
function mutate(
  subject: Subject,
  request: { headers: Headers; body: string | Uint8Array },
  mutations: Mutation[],
): { headers: Headers; body: Uint8Array; mustReject: boolean } {
  const headers: Headers = { ...request.headers }
  const original = typeof request.body === 'string' ? new TextEncoder().encode(request.body) : request.body
  let body = Uint8Array.from(original)
  const sensitive = new Set(subject.provider.sensitiveHeaders.map((h) => h.toLowerCase()))
  let mustReject = false
  // A signature header was set, deleted, duplicated or cut: judged on the final headers, since an append
  // followed by a cut can give back the exact value that was signed.
  let signatureTouched = false
  for (const m of mutations) {
    const names = Object.keys(headers)
    const name = 'header' in m && names.length > 0 ? names[m.header % names.length]! : undefined
    const current = name === undefined ? undefined : headers[name]
    const isSignature = name !== undefined && sensitive.has(name.toLowerCase())
    switch (m.kind) {
      case 'flip':
        if (body.length === 0) break
        body = Uint8Array.from(body)
        body[m.index % body.length]! ^= m.xor
        break
      case 'set':
        if (name === undefined || current === m.value) break
        headers[name] = m.value
        if (isSignature) signatureTouched = true
        break
      case 'delete':
        if (name === undefined) break
        // Every spelling, so a copy made by 'duplicate' does not survive.
        for (const key of Object.keys(headers)) if (key.toLowerCase() === name.toLowerCase()) delete headers[key]
        if (isSignature) signatureTouched = true
        break
      case 'duplicate':
        if (name === undefined || typeof current !== 'string') break
        if (m.asArray) headers[name] = [current, current]
        else headers[name.toUpperCase() === name ? name.toLowerCase() : name.toUpperCase()] = current
        if (isSignature) signatureTouched = true
        break
      case 'truncate':
        if (name === undefined || typeof current !== 'string' || m.keep >= current.length) break
        headers[name] = current.slice(0, m.keep)
        if (isSignature) signatureTouched = true
        break
      case 'append':
        // Appending may add a further list entry, which schemes with signature lists allow: no verdict.
        if (name === undefined || typeof current !== 'string') break
        headers[name] = current + m.suffix
        break
      case 'timestamp': {
        const from = String(NOW_S)
        const to = String(NOW_S + m.delta)
        for (const [key, value] of Object.entries(headers)) {
          if (typeof value === 'string' && value.includes(from)) {
            headers[key] = value.split(from).join(to)
            mustReject = true
          }
        }
        break
      }
    }
  }
  if (signatureTouched && !sameSignatureHeaders(sensitive, request.headers, headers)) mustReject = true
  // Judged on the final body: two flips of one byte may undo each other, and a scheme that signs a lossy
  // form of the body (Trello) or not the body at all cannot see a change that leaves what it signs intact.
  if (subject.fixture.bodySigned !== false && !sameSignedBody(subject.fixture, original, body)) mustReject = true
  return { headers, body, mustReject }
}

/** Whether every signature header has the same names (spellings included) and values in `a` and `b`. */
function sameSignatureHeaders(sensitive: Set<string>, a: Headers, b: Headers): boolean {
  const signatureEntries = (headers: Headers): string =>
    JSON.stringify(
      Object.entries(headers)
        .filter(([key]) => sensitive.has(key.toLowerCase()))
        .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    )
  return signatureEntries(a) === signatureEntries(b)
}

function sameSignedBody(fixture: ProviderFixture, a: Uint8Array, b: Uint8Array): boolean {
  if (Buffer.from(a).equals(b)) return true
  const formA = fixture.signedForm?.(a)
  const formB = fixture.signedForm?.(b)
  return formA !== undefined && formB !== undefined && Buffer.from(formA).equals(formB)
}

/** Every long-enough piece of the signature header values: none may appear in a response or an outcome. */
function signatureFragments(subject: Subject, headers: Headers): string[] {
  const sensitive = new Set(subject.provider.sensitiveHeaders.map((h) => h.toLowerCase()))
  const out: string[] = []
  for (const [name, value] of Object.entries(headers)) {
    if (!sensitive.has(name.toLowerCase())) continue
    for (const piece of String(value).split(/[\s,=;:]+/)) if (piece.length >= 16) out.push(piece)
  }
  return out
}

function expectNoLeak(subject: Subject, result: HandleResult, fragments: string[]): void {
  const visible = result.body + '\n' + JSON.stringify(result.headers) + '\n' + JSON.stringify(result.outcome)
  if (subject.secret) {
    expect(visible).not.toContain(subject.secret)
    expect(visible).not.toContain(subject.secret.replace(/^whsec_/, ''))
  }
  for (const fragment of fragments) expect(visible).not.toContain(fragment)
}

const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/)
const extraArb = fc.string({ unit: 'grapheme', maxLength: 200 })

describe.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))(
  'provider properties: %s',
  (_name, fixture) => {
    const subjectPromise = subjectFor(fixture)
    // A fixture that fails to build fails each test below, not the whole file as an unhandled rejection.
    subjectPromise.catch(() => {})

    it('(b) a delivery signed with the secret is always accepted, and its event carries no signature', async () => {
      const subject = await subjectPromise
      await fc.assert(
        fc.asyncProperty(idArb, extraArb, async (id, extra) => {
          const request = await signed(subject, id, extra)
          const { result, events } = await run(subject, request.headers, request.body)
          expect(result.status).toBe(200)
          // The same random id may come up twice (and fast-check replays inputs while shrinking).
          expect(['accepted', 'duplicate', 'handshake']).toContain(result.outcome.kind)
          const fragments = signatureFragments(subject, request.headers)
          for (const event of events)
            for (const fragment of fragments) expect(JSON.stringify(event.headers)).not.toContain(fragment)
        }),
        { numRuns: RUNS, ...REPLAY },
      )
    })

    it('(a)(b)(c) random mutations of a signed delivery never throw or give a 5xx; those that touch signed data are 4xx', async () => {
      const subject = await subjectPromise
      await fc.assert(
        fc.asyncProperty(
          idArb,
          extraArb,
          fc.array(mutation, { minLength: 1, maxLength: 3 }),
          async (id, extra, mutations) => {
            const request = await signed(subject, id, extra)
            const mutated = mutate(subject, request, mutations)
            const { result } = await run(subject, mutated.headers, mutated.body)
            expect(result.status).toBeLessThan(500)
            if (mutated.mustReject) {
              expect(result.status).toBeGreaterThanOrEqual(400)
              expect(result.outcome.kind).toBe('rejected')
            } else {
              expect([200, 400, 401, 409]).toContain(result.status)
            }
            expectNoLeak(subject, result, signatureFragments(subject, request.headers))
          },
        ),
        { numRuns: RUNS, ...REPLAY },
      )
    })

    it('(a)(b)(c) random header maps and bodies are answered 4xx, never thrown, never 5xx, never accepted', async () => {
      const subject = await subjectPromise
      const reference = await signed(subject, 'ref', '')
      // Real header names (so the random values reach the parsers) mixed with random ones.
      const nameArb = fc.oneof(
        fc.constantFrom(...Object.keys(reference.headers)),
        fc.string({ minLength: 1, maxLength: 20 }),
      )
      const valueArb = fc.oneof(
        headerValue,
        fc.array(headerValue, { maxLength: 4 }),
        fc.string({ unit: 'binary', minLength: 1000, maxLength: 5000 }),
      )
      // The signed body itself is only an attack without its headers when the signature is in a header.
      const bodies = [fc.uint8Array({ maxLength: 512 }), fc.string({ unit: 'binary', maxLength: 512 })]
      const bodyArb = subject.fixture.signatureInBody
        ? fc.oneof(...bodies)
        : fc.oneof(...bodies, fc.constant(reference.body))
      await fc.assert(
        fc.asyncProperty(fc.dictionary(nameArb, valueArb, { maxKeys: 8 }), bodyArb, async (headers, body) => {
          const { result } = await run(subject, headers, body)
          expect(result.status).toBeGreaterThanOrEqual(400)
          expect(result.status).toBeLessThan(500)
          expect(result.outcome.kind).toBe('rejected')
          expectNoLeak(subject, result, signatureFragments(subject, reference.headers))
        }),
        { numRuns: RUNS, ...REPLAY },
      )
    })
  },
)
