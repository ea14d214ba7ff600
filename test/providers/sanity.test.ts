import { createHmac } from 'node:crypto'
// Sanity's official toolkit: its signer and verifier.
import { encodeSignatureHeader, isValidSignature, SIGNATURE_HEADER_NAME } from '@sanity/webhook'
import { describe, expect, it } from 'vitest'
import { sanity } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, NOW_MS } from './core-support.js'
import { run, runOne, type Delivery } from './hmac-support.js'

// sanity-io/webhook-toolkit test/signature.test.ts.
const VECTORS = [
  {
    secret: 'test',
    body: '{"_id":"resume"}',
    header: 't=1633519811129,v1=tLa470fx7qkLLEcMOcEUFuBbRSkGujyskxrNXcoh0N0',
  },
  {
    secret: 'try-me',
    body: '{"title":"GROQ-Hooks are neat"}',
    header: 't=1633518820676,v1=e7C9h2sfbFfc4V7TEz7PSOp4IoNzl0UdVsBV-1wgdeA',
  },
]

const SECRET = 'sanity-webhook-secret-9Xq'
const OTHER = 'sanity-rotated-secret-4Lm'
const BODY = JSON.stringify({ _id: 'post-1', _type: 'post', _rev: 'Xk4s9', title: 'Übersicht ✓' })
const KEY = 'c1b2a3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'

/** The scheme, computed independently: base64url HMAC-SHA256 of `{t}.{body}`, t in ms. */
const header = (ms: number, body = BODY, secret = SECRET) =>
  `t=${ms},v1=${createHmac('sha256', secret).update(`${ms}.${body}`).digest('base64url')}`
const delivery = (signature: string, extra: Record<string, string> = {}, body = BODY): Delivery => ({
  headers: {
    'content-type': 'application/json',
    'idempotency-key': KEY,
    'sanity-operation': 'update',
    'sanity-document-id': 'post-1',
    [SIGNATURE_HEADER_NAME]: signature,
    ...extra,
  },
  body,
})

describe('sanity: the webhook-toolkit vectors', () => {
  it.each(VECTORS)(
    'the scheme reproduces the toolkit’s vector for secret "$secret"',
    async ({ secret, body, header: h }) => {
      const ms = Number(/t=(\d+)/.exec(h)![1])
      expect(header(ms, body, secret)).toBe(h)
      expect(await isValidSignature(body, h, secret)).toBe(true)
    },
  )

  it('the vectors’ 4- and 6-character secrets are refused as configuration (too weak to use)', () => {
    for (const { secret } of VECTORS) expect(() => sanity({ secret })).toThrow(TypeError)
  })
})

describe.each(BACKENDS)('sanity with %s', (_name, crypto) => {
  it('accepts a delivery; id idempotency-key, type sanity-operation, timestamp in seconds', async () => {
    const r = await runOne(sanity({ secret: SECRET, crypto }), delivery(header(NOW_MS)))
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: KEY, type: 'update', provider: 'sanity', timestamp: NOW_MS / 1000 })
    expect(r.enqueued[0]!.headers[SIGNATURE_HEADER_NAME]).toBe('[redacted]')
  })

  it('accepts the space after the comma the toolkit allows; a retry with the same key is a duplicate', async () => {
    const spaced = header(NOW_MS).replace(',', ', ')
    const runs = await run(sanity({ secret: SECRET, crypto }), [delivery(header(NOW_MS)), delivery(spaced)])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it('timestamps in milliseconds, 300 s both ways; t is signed', async () => {
    const provider = sanity({ secret: SECRET, crypto })
    const at = async (ms: number) => (await runOne(provider, delivery(header(ms)))).code
    expect(await at(NOW_MS - 300_000)).toBe('accepted')
    expect(await at(NOW_MS - 301_000)).toBe('timestamp.out_of_range')
    expect(await at(NOW_MS + 301_000)).toBe('timestamp.out_of_range')
    const moved = header(NOW_MS).replace(`t=${NOW_MS}`, `t=${NOW_MS + 1}`)
    expect((await runOne(provider, delivery(moved))).code).toBe('signature.invalid')
  })

  it('refuses a changed body and another secret; accepts either secret of a rotation', async () => {
    const codes = (
      await run(sanity({ secret: SECRET, crypto }), [
        delivery(header(NOW_MS), {}, BODY.replace('Übersicht', 'Overview')),
        delivery(header(NOW_MS, BODY, OTHER)),
      ])
    ).map((r) => r.code)
    expect(codes).toEqual(['signature.invalid', 'signature.invalid'])
    expect(
      (await runOne(sanity({ secret: [SECRET, OTHER], crypto }), delivery(header(NOW_MS, BODY, OTHER)))).code,
    ).toBe('accepted')
  })

  it('interop both ways with @sanity/webhook', async () => {
    const provider = sanity({ secret: SECRET, crypto })
    const signed = await signRequest(provider, { body: BODY, id: KEY })
    expect(await isValidSignature(BODY, signed.headers[SIGNATURE_HEADER_NAME]!, SECRET)).toBe(true)
    expect(await isValidSignature(BODY, signed.headers[SIGNATURE_HEADER_NAME]!, OTHER)).toBe(false)
    const fromSdk = await encodeSignatureHeader(BODY, Date.now(), SECRET)
    expect((await runOne(provider, delivery(fromSdk), Date.now())).code).toBe('accepted')
  })

  it('a respelt signature (padded, standard alphabet, stray trailing bits) is refused', async () => {
    const h = header(NOW_MS)
    const v1 = h.split('v1=')[1]!
    const bytes = Buffer.from(v1, 'base64url')
    const lastBits = v1.slice(0, -1) + String.fromCharCode(v1.charCodeAt(v1.length - 1) ^ 1)
    const respellings = [`${v1}=`, bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64'), lastBits]
    for (const other of respellings.filter((s) => s !== v1)) {
      const r = await runOne(sanity({ secret: SECRET, crypto }), delivery(h.replace(v1, other)))
      expect(r.result.status, other).toBeGreaterThanOrEqual(400)
      expect(r.result.status).toBeLessThan(500)
    }
  })
})

describe('sanity: header parsing', () => {
  const good = header(NOW_MS)
  const v1 = good.split('v1=')[1]!
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'idempotency-key': KEY }],
    ['no t', 400, 'signature.malformed', delivery(`v1=${v1}`).headers],
    ['no v1', 400, 'signature.malformed', delivery(`t=${NOW_MS}`).headers],
    ['a v5 entry (the toolkit’s own refusal)', 400, 'signature.malformed', delivery(`t=${NOW_MS},v5=${v1}`).headers],
    ['t in seconds (out of range)', 401, 'timestamp.out_of_range', delivery(header(NOW_MS / 1000)).headers],
    ['t with a decimal point', 400, 'timestamp.malformed', delivery(`t=${NOW_MS}.0,v1=${v1}`).headers],
    [
      'hex instead of base64url',
      400,
      'signature.malformed',
      delivery(`t=${NOW_MS},v1=${Buffer.from(v1, 'base64url').toString('hex')}`).headers,
    ],
    ['a valid signature but no idempotency-key', 400, 'id.missing', delivery(good, { 'idempotency-key': '' }).headers],
    [
      'the header twice',
      400,
      'header.duplicated',
      { ...delivery(good).headers, [SIGNATURE_HEADER_NAME]: [good, good] },
    ],
  ]
  headerTable(() => sanity({ secret: SECRET }), BODY, cases, [SECRET, v1])
})

describe('sanity: configuration', () => {
  refusesWeakSecrets('sanity', (secret) => sanity({ secret } as never))

  it('refuses a zero tolerance and defaults to 300 s', () => {
    expect(configMessage(() => sanity({ secret: SECRET, tolerance: 0 }))).toMatch(/tolerance must be/)
    expect(sanity({ secret: SECRET }).tolerance).toBe(300)
  })
})
