import { createHash, createHmac } from 'node:crypto'
// jose, an independent JWS implementation, signs and verifies tokens the way Netlify's docs describe.
import { jwtVerify, SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { netlify } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

const SECRET = 'netlify-jws-token-4Kx9Pq'
const BODY = JSON.stringify({
  id: '5ebc34bf4fea0b01f02efa3a',
  site_id: 'fa4dd95a-994e-4f89-8a7a-2d9e9fc36a32',
  state: 'ready',
  name: 'www-jvt-me',
  branch: 'main',
  title: 'Café ☕ release',
})
const hex = (body: string) => createHash('sha256').update(body).digest('hex')
const key = (secret = SECRET) => new TextEncoder().encode(secret)
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

async function joseToken(claims: Record<string, unknown>, alg = 'HS256', secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key(secret))
}

/** A token with any header, HMAC-SHA256 signed by hand (for headers jose would not write). */
function handToken(header: unknown, claims: unknown): string {
  const input = `${b64url(header)}.${b64url(claims)}`
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`
}

const headersFor = (token: string, event?: string) => ({
  'content-type': 'application/json',
  'x-webhook-signature': token,
  ...(event ? { 'x-netlify-event': event } : {}),
})

describe.each(BACKENDS)('netlify with %s', (_name, crypto) => {
  it('accepts a token jose signs as Netlify documents; id sha256:<body hash>, type X-Netlify-Event', async () => {
    const token = await joseToken({ iss: 'netlify', sha256: hex(BODY) })
    const r = await runOne(netlify({ secret: SECRET, crypto }), {
      headers: headersFor(token, 'deploy_succeeded'),
      body: BODY,
    })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: `sha256:${hex(BODY)}`, type: 'deploy_succeeded', provider: 'netlify' })
    expect(r.enqueued[0]!.headers['x-webhook-signature']).toBe('[redacted]')
  })

  it('refuses alg none, HS512, RS256 and critical extensions before any MAC is trusted', async () => {
    const provider = netlify({ secret: SECRET, crypto })
    const claims = { iss: 'netlify', sha256: hex(BODY) }
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`
    const hs512 = await joseToken(claims, 'HS512')
    const rs256 = handToken({ alg: 'RS256', typ: 'JWT' }, claims)
    const crit = handToken({ alg: 'HS256', crit: ['exp'], exp: 1 }, claims)
    for (const token of [none, hs512, rs256, crit])
      expect(await verifyCode(provider, { headers: headersFor(token), body: BODY }), token).toBe('signature.invalid')
  })

  it('refuses another issuer, another body’s hash, and a token under another secret', async () => {
    const provider = netlify({ secret: SECRET, crypto })
    const cases = [
      await joseToken({ iss: 'not-netlify', sha256: hex(BODY) }),
      await joseToken({ iss: 'netlify', sha256: hex('{}') }),
      await joseToken({ iss: 'netlify', sha256: hex(BODY).toUpperCase() }),
      await joseToken({ iss: 'netlify' }),
      await joseToken({ iss: 'netlify', sha256: hex(BODY) }, 'HS256', 'another-jws-token-9Zq'),
    ]
    for (const token of cases)
      expect(await verifyCode(provider, { headers: headersFor(token), body: BODY })).toBe('signature.invalid')
  })

  it('binds the body: the same token with one byte changed is refused; a resend is a duplicate', async () => {
    const token = await joseToken({ iss: 'netlify', sha256: hex(BODY) })
    const provider = netlify({ secret: SECRET, crypto })
    expect(await verifyCode(provider, { headers: headersFor(token), body: BODY.replace('ready', 'error') })).toBe(
      'signature.invalid',
    )
    const runs = await run(provider, [
      { headers: headersFor(token), body: BODY },
      { headers: headersFor(await joseToken({ iss: 'netlify', sha256: hex(BODY), extra: 1 })), body: BODY },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it('jose verifies what signRequest produces (HS256, iss netlify, sha256 of the body)', async () => {
    const signed = await signRequest(netlify({ secret: SECRET, crypto }), { body: BODY })
    const { payload, protectedHeader } = await jwtVerify(signed.headers['x-webhook-signature']!, key(), {
      issuer: 'netlify',
      algorithms: ['HS256'],
    })
    expect(protectedHeader.alg).toBe('HS256')
    expect(payload.sha256).toBe(hex(BODY))
  })
})

describe('netlify: X-Webhook-Signature parsing', () => {
  const claims = { iss: 'netlify', sha256: hex(BODY) }
  const good = handToken({ alg: 'HS256', typ: 'JWT' }, claims)
  const [h, c, s] = good.split('.') as [string, string, string]
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'content-type': 'application/json' }],
    ['two parts', 400, 'signature.malformed', headersFor(`${h}.${c}`)],
    ['four parts', 400, 'signature.malformed', headersFor(`${good}.x`)],
    ['padded base64url', 400, 'signature.malformed', headersFor(`${h}.${c}.${s}=`)],
    [
      'standard base64 in the signature',
      400,
      'signature.malformed',
      headersFor(`${h}.${c}.${Buffer.from(s, 'base64url').toString('base64')}`),
    ],
    [
      'a header that is not JSON',
      400,
      'signature.malformed',
      headersFor(`${Buffer.from('{alg').toString('base64url')}.${c}.${s}`),
    ],
    ['claims that are an array', 400, 'signature.malformed', headersFor(`${h}.${b64url([claims])}.${s}`)],
    ['a token over 4 KiB', 400, 'signature.malformed', headersFor(`${h}.${'A'.repeat(5000)}.${s}`)],
    [
      'a typ other than JWT',
      401,
      'signature.invalid',
      headersFor(handToken({ alg: 'HS256', typ: 'JOSE+JSON' }, claims)),
    ],
    ['the header twice', 400, 'header.duplicated', { 'x-webhook-signature': [good, good] }],
  ]
  headerTable(() => netlify({ secret: SECRET }), BODY, cases, [SECRET, s])

  it('the hand-made token itself is accepted (the table’s refusals are about the changes)', async () => {
    expect(await verifyCode(netlify({ secret: SECRET }), { headers: headersFor(good), body: BODY })).toBe('ok')
  })
})

describe('netlify: configuration', () => {
  refusesWeakSecrets('netlify', (secret) => netlify({ secret } as never))

  it('refuses a tolerance: the token carries no time', () => {
    expect(configMessage(() => netlify({ secret: SECRET, tolerance: 300 } as never))).toMatch(/signs no timestamp/)
  })
})
