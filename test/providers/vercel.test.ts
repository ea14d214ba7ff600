import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { vercel } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, hmacHex, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

const SECRET = 'vercel-whsec-Qm7Tz2Kp9Lx4'
const CLIENT_SECRET = 'oc_9f8e7d6c5b4a3f2e1d0c9b8a'
const BODY = JSON.stringify({
  id: 'uQ8J3B6YxNvA1Xh2kRwDPzmo',
  type: 'deployment.succeeded',
  createdAt: 1700000000000,
  region: 'iad1',
  payload: {
    team: { id: 'team_1' },
    user: { id: 'user_1' },
    deployment: { id: 'dpl_2Zk4', name: 'café-site', url: 'cafe-site-1.vercel.app' },
    target: 'production',
  },
})

// Vercel's documented check: hex HMAC-SHA1 of the raw body with the webhook (or integration client) secret.
const sha1 = (secret: string, body = BODY) => createHmac('sha1', secret).update(body).digest('hex')
const headersFor = (signature: string) => ({ 'content-type': 'application/json', 'x-vercel-signature': signature })

describe.each(BACKENDS)('vercel with %s', (_name, crypto) => {
  it('accepts a delivery signed as Vercel documents; id and type from the signed body; redacted', async () => {
    const r = await runOne(vercel({ secret: SECRET, crypto }), { headers: headersFor(sha1(SECRET)), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: 'uQ8J3B6YxNvA1Xh2kRwDPzmo', type: 'deployment.succeeded' })
    expect(r.enqueued[0]!.headers['x-vercel-signature']).toBe('[redacted]')
  })

  it('integration webhooks: keyed by the integration’s client secret; either secret of a list passes', async () => {
    const provider = vercel({ secret: [SECRET, CLIENT_SECRET], crypto })
    expect(await verifyCode(provider, { headers: headersFor(sha1(CLIENT_SECRET)), body: BODY })).toBe('ok')
    expect(
      await verifyCode(vercel({ secret: SECRET, crypto }), { headers: headersFor(sha1(CLIENT_SECRET)), body: BODY }),
    ).toBe('signature.invalid')
  })

  it('SHA-1 only: a SHA-256 MAC is malformed (the algorithm never comes from the request)', async () => {
    const sha256 = hmacHex(SECRET, BODY)
    expect(await verifyCode(vercel({ secret: SECRET, crypto }), { headers: headersFor(sha256), body: BODY })).toBe(
      'signature.malformed',
    )
  })

  it('a retry is a duplicate; a changed body is refused; signRequest matches', async () => {
    const provider = vercel({ secret: SECRET, crypto })
    const runs = await run(provider, [
      { headers: headersFor(sha1(SECRET)), body: BODY },
      { headers: headersFor(sha1(SECRET)), body: BODY },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
    expect(await verifyCode(provider, { headers: headersFor(sha1(SECRET)), body: BODY.replace('café', 'cafe') })).toBe(
      'signature.invalid',
    )
    expect((await signRequest(provider, { body: BODY })).headers['x-vercel-signature']).toBe(sha1(SECRET))
  })
})

describe('vercel: x-vercel-signature parsing', () => {
  const mac = sha1(SECRET)
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'content-type': 'application/json' }],
    ['a sha1= prefix', 400, 'signature.malformed', headersFor(`sha1=${mac}`)],
    ['upper-case hex', 400, 'signature.malformed', headersFor(mac.toUpperCase())],
    ['base64', 400, 'signature.malformed', headersFor(Buffer.from(mac, 'hex').toString('base64'))],
    ['the header twice', 400, 'header.duplicated', { 'x-vercel-signature': [mac, mac] }],
    ['a MAC of another body', 401, 'signature.invalid', headersFor(sha1(SECRET, '{}'))],
  ]
  headerTable(() => vercel({ secret: SECRET }), BODY, cases, [SECRET, mac])
})

describe('vercel: configuration', () => {
  refusesWeakSecrets('vercel', (secret) => vercel({ secret } as never))

  it('refuses a tolerance', () => {
    expect(configMessage(() => vercel({ secret: SECRET, skipTimestampCheck: true } as never))).toMatch(
      /signs no timestamp/,
    )
  })
})
