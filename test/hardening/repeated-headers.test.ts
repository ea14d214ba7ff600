/**
 * Repeated headers over real HTTP through every adapter: what the case
 * table cannot hold because the answer differs by adapter. Node adapters
 * (node, express, koa, hono on Node, fastify) read the raw header list and
 * see the copies; the Fetch adapter gets a Fetch `Headers` object that has
 * joined them with ', '. Where a header's grammar allows ', ' the joined
 * value reaches the provider's own parser, and each answer is pinned here.
 */
import { describe, expect, it } from 'vitest'
import { capturingLogger } from '../support/log.js'
import { FIXTURES } from '../support/providers.js'
import { ADAPTERS, type AdapterUnderTest } from '../adapters/servers.js'
import { github, gitlab, hmac, okta } from '../../src/index.js'
import { readHeader, requireSignatureHeader, tokenMayHoldCommaSpace } from '../../src/providers/kit/headers.js'
import { createReceiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { Provider, QueuedEvent } from '../../src/types/index.js'
import { sendRaw, type Line, type RawAnswer } from './raw-http.js'
import { alike, headersRead, JOINABLE, READS_NO_HEADER, wireHeaders } from './reads.js'

type Outcome = { status: number; code: string | undefined }

function outcomeOf(answer: RawAnswer): Outcome {
  const code =
    answer.status < 300
      ? (answer.headers['hookguard-outcome'] as string | undefined)
      : (answer.json as { error?: { code?: string } } | undefined)?.error?.code
  return { status: answer.status, code }
}

/** Signs one delivery per adapter, sends `lines(headers)` and returns each adapter's answer and enqueue count. */
async function everyAdapter(
  make: () => Provider,
  body: string,
  lines: (headers: Record<string, string>) => Line[],
): Promise<Record<AdapterUnderTest['name'], Outcome & { enqueued: number }>> {
  const results = await Promise.all(
    ADAPTERS.map(async (adapter) => {
      const enqueued: QueuedEvent[] = []
      const provider = make()
      const receiver = createReceiver({
        provider,
        queue: { enqueue: async (event) => void enqueued.push(event) },
        logger: capturingLogger(),
      })
      const server = await adapter.start(receiver)
      try {
        const signed = await signRequest(provider, { body, id: 'evt_repeat_1', url: server.url })
        const headers = wireHeaders({ headers: signed.headers, body: signed.body }, server.url)
        const answer = await sendRaw(server.url, { lines: lines(headers), body: signed.body })
        return [adapter.name, { ...outcomeOf(answer), enqueued: enqueued.length }] as const
      } finally {
        await server.close()
        await receiver.close()
      }
    }),
  )
  return Object.fromEntries(results) as Record<AdapterUnderTest['name'], Outcome & { enqueued: number }>
}

/** The expected answers: the Fetch adapter's as given, every Node adapter's the other (never enqueued). */
function byAdapter(node: Outcome, fetch: Outcome, fetchEnqueued = 0): Record<string, Outcome & { enqueued: number }> {
  return Object.fromEntries(
    ADAPTERS.map((a) => [
      a.name,
      a.name === 'fetch' ? { ...fetch, enqueued: fetchEnqueued } : { ...node, enqueued: 0 },
    ]),
  )
}

/** Every line as is, except `name`, sent as the given values (one line each). */
function withCopies(name: string, values: (value: string) => string[]) {
  return (headers: Record<string, string>): Line[] =>
    Object.entries(headers).flatMap(([n, v]): Line[] => (n === name ? values(v).map((copy) => [n, copy]) : [[n, v]]))
}

const DUPLICATED: Outcome = { status: 400, code: 'header.duplicated' }

describe('kit/headers.ts: one value per header', () => {
  const request = (headers: Record<string, string | string[]>) => ({ headers })

  it('readHeader returns a single value, the one entry of a one-element array, and undefined for none', () => {
    expect(readHeader(request({ 'x-a': 'v' }), 'x-a')).toBe('v')
    expect(readHeader(request({ 'x-a': ['v'] }), 'x-a')).toBe('v')
    expect(readHeader(request({ 'x-a': [] }), 'x-a')).toBeUndefined()
    expect(readHeader(request({}), 'x-a')).toBeUndefined()
  })

  it('readHeader refuses copies as an array (Node adapters) and joined with ", " (Fetch Headers) as 400 header.duplicated', () => {
    for (const value of [['a', 'b'], ['a', 'a'], 'a, b', ['a, b'], ', a', 'a, '])
      expect(() => readHeader(request({ 'x-a': value }), 'x-a')).toThrow(expect.objectContaining(DUPLICATED))
  })

  it('a header whose grammar allows ", " (joinable) keeps it; an array of copies is refused all the same', () => {
    expect(readHeader(request({ 'x-a': 't=1, v1=x' }), 'x-a', { joinable: true })).toBe('t=1, v1=x')
    expect(() => readHeader(request({ 'x-a': ['a', 'b'] }), 'x-a', { joinable: true })).toThrow(
      expect.objectContaining(DUPLICATED),
    )
    expect(requireSignatureHeader(request({ 'x-a': 'a, b' }), 'x-a', { joinable: true })).toBe('a, b')
  })

  it('a comma without a space, or a space without a comma, is not a join', () => {
    expect(readHeader(request({ 'x-a': 't=1,v1=x' }), 'x-a')).toBe('t=1,v1=x')
    expect(readHeader(request({ 'x-a': 'v1,a v1,b' }), 'x-a')).toBe('v1,a v1,b')
  })

  it('the refusal names the header, never its value', () => {
    try {
      readHeader(request({ 'x-sig': 'secret-looking-value, other' }), 'x-sig')
      expect.unreachable()
    } catch (error) {
      expect(String((error as Error).message) + JSON.stringify(error)).not.toContain('secret-looking-value')
    }
  })

  it('tokenMayHoldCommaSpace: only a configured secret with ", ", or a per-request lookup, lets a token header hold one', () => {
    expect(tokenMayHoldCommaSpace('plain-secret-0123')).toBe(false)
    expect(tokenMayHoldCommaSpace(['a-secret-0123', 'b, secret-0123'])).toBe(true)
    expect(tokenMayHoldCommaSpace('a, b-secret-0123')).toBe(true)
    expect(tokenMayHoldCommaSpace(() => 'x')).toBe(true)
  })
})

describe('what each provider reads', () => {
  it('reads at least one header of a valid delivery, except the fixtures in READS_NO_HEADER; JOINABLE names are read', async () => {
    const none: string[] = []
    for (const fixture of FIXTURES) {
      const provider = fixture.make()
      const url = 'http://127.0.0.1:8080/webhooks/test'
      const signed = await signRequest(provider, { body: fixture.body('evt_reads_1'), id: 'evt_reads_1', url })
      const { present } = await headersRead(provider, { headers: signed.headers, body: signed.body }, url)
      if (present.length === 0) none.push(fixture.name)
      for (const name of JOINABLE[fixture.name] ?? []) expect(present, fixture.name).toContain(name)
    }
    expect(none.sort()).toEqual([...READS_NO_HEADER].sort())
  })
})

describe('headers whose grammar allows ", ": every adapter, answers pinned', () => {
  const sanityFixture = FIXTURES.find((f) => f.name === 'sanity')!
  const SIG = 'sanity-webhook-signature'

  it.each([
    ['junk + valid', (v: string) => [alike(v), v]],
    ['valid + junk', (v: string) => [v, alike(v)]],
    ['valid + valid', (v: string) => [v, v]],
  ])(
    'Sanity signature sent twice (%s): 400 header.duplicated on Node adapters; on Fetch the join holds two t or a junk entry, 400 signature.malformed',
    async (_label, copies) => {
      const answers = await everyAdapter(
        () => sanityFixture.make(),
        sanityFixture.body('evt_repeat_1'),
        withCopies(SIG, copies),
      )
      expect(answers).toEqual(byAdapter(DUPLICATED, { status: 400, code: 'signature.malformed' }))
    },
  )

  it('Sanity: a second copy holding only a well-formed v1 entry is refused on Node adapters, but on Fetch it reads as one more v1 and the valid one still verifies (documented caveat, no forgery)', async () => {
    const copies = (v: string) => [v, `v1=${alike(v.slice(v.indexOf('v1=') + 3))}`]
    const answers = await everyAdapter(
      () => sanityFixture.make(),
      sanityFixture.body('evt_repeat_1'),
      withCopies(SIG, copies),
    )
    expect(answers).toEqual(byAdapter(DUPLICATED, { status: 200, code: 'accepted' }, 1))
  })

  it.each([
    ['okta', 'authorization', (secret: string) => okta({ secret })],
    ['gitlab', 'x-gitlab-token', (secret: string) => gitlab({ secret })],
  ])(
    '%s with a secret containing ", ": the valid delivery passes every adapter; two copies are 400 on Node adapters and 401 on Fetch',
    async (_name, header, make) => {
      const build = () => make('hookguard, token with a comma-space 42')
      const body = JSON.stringify({ eventId: 'evt_repeat_1', eventType: 'com.okta.event_hook', object_kind: 'push' })
      const valid = await everyAdapter(build, body, (h) => Object.entries(h))
      for (const answer of Object.values(valid)) expect(answer).toEqual({ status: 200, code: 'accepted', enqueued: 1 })
      const twice = await everyAdapter(
        build,
        body,
        withCopies(header, (v) => [v, v]),
      )
      expect(twice).toEqual(byAdapter(DUPLICATED, { status: 401, code: 'unauthorized' }))
    },
  )

  it("generic hmac() with separator ', ': a list passes every adapter; two identical lines are 400 on Node adapters and, joined on Fetch, the same list as one line (documented caveat)", async () => {
    const make = () =>
      hmac({
        secret: 'in-house-secret-0123456789',
        signatureHeader: 'X-Signature',
        prefix: 'sha256=',
        separator: ', ',
        idField: 'ref',
      })
    const body = JSON.stringify({ ref: 'evt_repeat_1' })
    const list = await everyAdapter(
      make,
      body,
      withCopies('x-signature', (v) => [`sha256=${alike(v.slice(7))}, ${v}`]),
    )
    for (const answer of Object.values(list)) expect(answer).toEqual({ status: 200, code: 'accepted', enqueued: 1 })
    const twice = await everyAdapter(
      make,
      body,
      withCopies('x-signature', (v) => [v, v]),
    )
    expect(twice).toEqual(byAdapter(DUPLICATED, { status: 200, code: 'accepted' }, 1))
  })
})

describe('one line holding ", " where the grammar has none', () => {
  it('X-GitHub-Delivery "d1, d2" in one line (what Fetch makes of two) is 400 header.duplicated on every adapter, never a new dedupe key', async () => {
    const make = () => github({ secret: "It's a Secret to Everybody" })
    const answers = await everyAdapter(
      make,
      JSON.stringify({ zen: 'hi' }),
      withCopies('x-github-delivery', (v) => [`${v}, ${alike(v)}`]),
    )
    expect(answers).toEqual(byAdapter(DUPLICATED, DUPLICATED))
  })
})
