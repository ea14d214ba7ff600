import { createHmac } from 'node:crypto'
// Mux's official SDK: its webhooks.verifySignature, the reference for the scheme.
import Mux from '@mux/mux-node'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { mux } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, NOW_S, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

// mux-node-sdk tests/api-resources/webhooks.test.ts: payload, secret, timestamp and hash.
const VECTOR = {
  payload: '{"test":"body"}',
  secret: 'SuperSecret123',
  timestamp: 1565125718,
  hash: '854ece4c22acef7c66b57d4e504153bc512595e8e9c772ece2a68150548c19a7',
}
const VECTOR_NOW = VECTOR.timestamp * 1000
const vectorHeader = (entries = `v1=${VECTOR.hash}`) => ({ 'mux-signature': `t=${VECTOR.timestamp},${entries}` })

const SECRET = 'mux-whsec-R8t2Lq6Vn3Wp'
const EVENT = JSON.stringify({
  type: 'video.asset.ready',
  object: { type: 'asset', id: 'a4nOgmxGWg6gULfcBbAa00gXyfcwPnAFldF8RdsNyk8M' },
  id: '3a56ac3d-33da-4366-855b-f592d898409d',
  environment: { name: 'Production', id: 'j0863n' },
  data: { status: 'ready', passthrough: 'café' },
  created_at: '2023-11-14T22:13:20.000000Z',
  attempts: [],
})
const sdk = new Mux({ tokenId: 'hookguard-test', tokenSecret: 'hookguard-test' })
const sign = (t: number, body = EVENT, secret = SECRET) =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
const headersFor = (t: number, entries: string) => ({
  'content-type': 'application/json',
  'mux-signature': `t=${t},${entries}`,
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe.each(BACKENDS)('mux: the mux-node-sdk vector with %s', (_name, crypto) => {
  const provider = () => mux({ secret: VECTOR.secret, crypto })

  it('accepts it, with the extra entries the SDK’s own tests allow (v1=invalid-sig, v2=…)', async () => {
    for (const entries of [
      `v1=${VECTOR.hash}`,
      `v1=invalid-sig,v1=${VECTOR.hash}`,
      `v2=${VECTOR.hash},v1=${VECTOR.hash}`,
    ])
      expect(await verifyCode(provider(), { headers: vectorHeader(entries), body: VECTOR.payload }, VECTOR_NOW)).toBe(
        'ok',
      )
  })

  it('refuses it six minutes later (and six minutes earlier), and with only a v2 entry', async () => {
    const request = { headers: vectorHeader(), body: VECTOR.payload }
    expect(await verifyCode(provider(), request, VECTOR_NOW + 360_000)).toBe('timestamp.out_of_range')
    expect(await verifyCode(provider(), request, VECTOR_NOW - 360_000)).toBe('timestamp.out_of_range')
    expect(
      await verifyCode(provider(), { headers: vectorHeader(`v2=${VECTOR.hash}`), body: VECTOR.payload }, VECTOR_NOW),
    ).toBe('signature.invalid')
  })

  it('the SDK agrees with signRequest on the vector', async () => {
    const signed = await signRequest(provider(), { body: VECTOR.payload, timestamp: VECTOR.timestamp })
    expect(signed.headers['mux-signature']).toBe(`t=${VECTOR.timestamp},v1=${VECTOR.hash}`)
    vi.spyOn(Date, 'now').mockReturnValue(VECTOR_NOW)
    await expect(sdk.webhooks.verifySignature(VECTOR.payload, signed.headers, VECTOR.secret)).resolves.toBeUndefined()
  })
})

describe.each(BACKENDS)('mux with %s', (_name, crypto) => {
  const now = Math.floor(Date.now() / 1000)

  it('accepts a delivery; id and type from the signed body; t is the event timestamp', async () => {
    const r = await runOne(
      mux({ secret: SECRET, crypto }),
      { headers: headersFor(now, `v1=${sign(now)}`), body: EVENT },
      now * 1000,
    )
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: '3a56ac3d-33da-4366-855b-f592d898409d',
      type: 'video.asset.ready',
      timestamp: now,
    })
    expect(r.enqueued[0]!.headers['mux-signature']).toBe('[redacted]')
  })

  it('a retry (new t, attempts list grown) is a duplicate by the signed id', async () => {
    const retried = EVENT.replace('"attempts":[]', '"attempts":[{"id":"1","response_status_code":500}]')
    const runs = await run(
      mux({ secret: SECRET, crypto }),
      [
        { headers: headersFor(now, `v1=${sign(now)}`), body: EVENT },
        { headers: headersFor(now + 30, `v1=${sign(now + 30, retried)}`), body: retried },
      ],
      (now + 30) * 1000,
    )
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it('the timestamp is signed: moving t inside the window breaks the signature', async () => {
    const headers = headersFor(now + 1, `v1=${sign(now)}`)
    expect(await verifyCode(mux({ secret: SECRET, crypto }), { headers, body: EVENT }, now * 1000)).toBe(
      'signature.invalid',
    )
  })

  it('interop: the SDK verifies signRequest’s output, and hookguard verifies the SDK’s scheme', async () => {
    const provider = mux({ secret: SECRET, crypto })
    const signed = await signRequest(provider, { body: EVENT })
    await expect(sdk.webhooks.verifySignature(EVENT, signed.headers, SECRET)).resolves.toBeUndefined()
    await expect(sdk.webhooks.verifySignature(EVENT, signed.headers, 'another-secret-123')).rejects.toThrow()
    const unwrapped = await sdk.webhooks.unwrap(EVENT, signed.headers, SECRET)
    expect(unwrapped.id).toBe('3a56ac3d-33da-4366-855b-f592d898409d')
    expect(await verifyCode(provider, { headers: signed.headers, body: EVENT }, Date.now())).toBe('ok')
  })
})

describe('mux: Mux-Signature parsing', () => {
  const hash = sign(NOW_S)
  const good = `v1=${hash}`
  const header = (value: string) => ({ 'content-type': 'application/json', 'mux-signature': value })
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', {}],
    ['no t', 400, 'signature.malformed', header(good)],
    ['two t', 400, 'signature.malformed', header(`t=${NOW_S},t=${NOW_S},${good}`)],
    ['a bare hash (the SDK’s own malformed case)', 400, 'signature.malformed', header(hash)],
    ['t with a sign', 400, 'timestamp.malformed', header(`t=+${NOW_S},${good}`)],
    ['t in milliseconds (13 digits)', 400, 'timestamp.malformed', header(`t=${NOW_S}000,${good}`)],
    ['t an hour old', 401, 'timestamp.out_of_range', header(`t=${NOW_S - 3600},v1=${sign(NOW_S - 3600)}`)],
    ['an upper-case key', 400, 'signature.malformed', header(`T=${NOW_S},${good}`)],
    ['no v1 that decodes', 401, 'signature.invalid', header(`t=${NOW_S},v1=${hash.toUpperCase()}`)],
    ['33 entries', 400, 'signature.malformed', header(`t=${NOW_S},${Array(32).fill(good).join(',')}`)],
    ['the header twice', 400, 'header.duplicated', { 'mux-signature': [`t=${NOW_S},${good}`, `t=${NOW_S},${good}`] }],
  ]
  headerTable(() => mux({ secret: SECRET }), EVENT, cases, [SECRET, hash])
})

describe('mux: configuration', () => {
  refusesWeakSecrets('mux', (secret) => mux({ secret } as never))

  it.each([
    ['a zero tolerance', { secret: SECRET, tolerance: 0 }, /tolerance must be/],
    ['both tolerance and skipTimestampCheck', { secret: SECRET, tolerance: 5, skipTimestampCheck: true }, /either/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => mux(options as never))).toMatch(message)
  })

  it('defaults to Mux’s five-minute tolerance', () => {
    expect(mux({ secret: SECRET }).tolerance).toBe(300)
  })
})
