import { describe, expect, it } from 'vitest'
import { typeform } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { run, runOne } from './hmac-support.js'
import { headerTable, hmacBase64, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, verify, verifyCode } from './core-support.js'

const SECRET = 'tf-webhook-secret-0b7d3a'
const OTHER = 'tf-rotated-secret-6c2e9f'
// The shape of Typeform's documented form_response delivery.
const BODY = JSON.stringify({
  event_id: '01GNHS5K8YD93XHB6KXFSJWPA6',
  event_type: 'form_response',
  form_response: {
    form_id: 'lT4Z3j',
    token: 'a3a12ec67a1365927098a606107fac15',
    submitted_at: '2023-11-14T22:13:20Z',
    answers: [{ type: 'text', text: 'Überraschung 🎉', field: { id: 'DlXFaesGBpoF', type: 'long_text' } }],
  },
})

// Typeform's guide: 'sha256=' + base64 of HMAC-SHA256(secret, raw body).
const headersFor = (signature: string) => ({ 'Content-Type': 'application/json', 'Typeform-Signature': signature })
const good = `sha256=${hmacBase64(SECRET, BODY)}`

describe.each(BACKENDS)('typeform with %s', (_name, crypto) => {
  it('accepts a delivery signed as Typeform’s guide does; id event_id, type event_type (both signed)', async () => {
    const r = await runOne(typeform({ secret: SECRET, crypto }), { headers: headersFor(good), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: '01GNHS5K8YD93XHB6KXFSJWPA6',
      type: 'form_response',
      provider: 'typeform',
    })
    expect(r.enqueued[0]!.headers['typeform-signature']).toBe('[redacted]')
    expect(
      (await verify(typeform({ secret: SECRET, crypto }), { headers: headersFor(good), body: BODY })).fingerprint,
    ).toBeUndefined()
  })

  it('a retry is a duplicate', async () => {
    const runs = await run(typeform({ secret: SECRET, crypto }), [
      { headers: headersFor(good), body: BODY },
      { headers: headersFor(good), body: BODY },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it('refuses a changed body and a wrong secret; accepts either secret of a rotation', async () => {
    const provider = typeform({ secret: SECRET, crypto })
    expect(await verifyCode(provider, { headers: headersFor(good), body: BODY.replace('🎉', '🎊') })).toBe(
      'signature.invalid',
    )
    const other = `sha256=${hmacBase64(OTHER, BODY)}`
    expect(await verifyCode(provider, { headers: headersFor(other), body: BODY })).toBe('signature.invalid')
    expect(
      await verifyCode(typeform({ secret: [SECRET, OTHER], crypto }), { headers: headersFor(other), body: BODY }),
    ).toBe('ok')
  })

  it('signRequest produces the guide’s header', async () => {
    const signed = await signRequest(typeform({ secret: SECRET, crypto }), { body: BODY })
    expect(signed.headers['typeform-signature']).toBe(good)
  })
})

describe('typeform: Typeform-Signature parsing', () => {
  const mac = hmacBase64(SECRET, BODY)
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'Content-Type': 'application/json' }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['no sha256= prefix', 400, 'signature.malformed', headersFor(mac)],
    ['a sha1= prefix', 400, 'signature.malformed', headersFor(`sha1=${mac}`)],
    ['an upper-case prefix', 400, 'signature.malformed', headersFor(`SHA256=${mac}`)],
    [
      'hex after the prefix',
      400,
      'signature.malformed',
      headersFor(`sha256=${Buffer.from(mac, 'base64').toString('hex')}`),
    ],
    ['only the prefix', 400, 'signature.malformed', headersFor('sha256=')],
    ['a wrong MAC', 401, 'signature.invalid', headersFor(`sha256=${Buffer.alloc(32, 3).toString('base64')}`)],
    ['the header twice', 400, 'header.duplicated', { 'Typeform-Signature': [good, good] }],
  ]
  headerTable(() => typeform({ secret: SECRET }), BODY, cases, [mac.slice(0, 16)])
})

describe('typeform: configuration', () => {
  refusesWeakSecrets('typeform', (secret) => typeform({ secret: secret as string }))

  it('refuses a secret under 8 bytes and a tolerance', () => {
    expect(configMessage(() => typeform({ secret: 'abc' }))).toMatch(/too short/)
    expect(configMessage(() => typeform({ secret: SECRET, tolerance: 10 } as never))).toMatch(/signs no timestamp/)
  })
})
