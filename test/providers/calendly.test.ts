import { describe, expect, it } from 'vitest'
import { calendly } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { run, runOne } from './hmac-support.js'
import { headerTable, hmacHex, refusesWeakSecrets, sha256Id, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, NOW_S, verifyCode } from './core-support.js'

const SECRET = 'cal-signing-key-3e8b1d'
const OTHER = 'cal-rotated-key-9f4a2c'
// The shape of Calendly's invitee.created delivery.
const BODY = JSON.stringify({
  created_at: '2023-11-14T22:13:19.000000Z',
  created_by: 'https://api.calendly.com/users/AAAAAAAAAAAAAAAA',
  event: 'invitee.created',
  payload: {
    uri: 'https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAAAAAAAAAAAAAA',
    email: 'test@example.com',
    status: 'active',
  },
})

// Calendly's guide: v1 = hex HMAC-SHA256(signing key, `${t}.${rawBody}`).
const header = (t: number | string, secret = SECRET, body = BODY) => `t=${t},v1=${hmacHex(secret, `${t}.`, body)}`
const headersFor = (value: string) => ({ 'Content-Type': 'application/json', 'Calendly-Webhook-Signature': value })

describe.each(BACKENDS)('calendly with %s', (_name, crypto) => {
  it('accepts a delivery signed as Calendly’s guide does; id is the body hash, type the event', async () => {
    const r = await runOne(calendly({ secret: SECRET, crypto }), { headers: headersFor(header(NOW_S)), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: sha256Id(BODY), type: 'invitee.created', timestamp: NOW_S })
    expect(r.enqueued[0]!.headers['calendly-webhook-signature']).toBe('[redacted]')
  })

  it('a retry signed later with a new t is a duplicate', async () => {
    const runs = await run(calendly({ secret: SECRET, crypto }), [
      { headers: headersFor(header(NOW_S - 60)), body: BODY },
      { headers: headersFor(header(NOW_S)), body: BODY },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it.each([
    ['180 s old', NOW_S - 180, 'ok'],
    ['181 s old', NOW_S - 181, 'timestamp.out_of_range'],
    ['180 s ahead', NOW_S + 180, 'ok'],
    ['181 s ahead', NOW_S + 181, 'timestamp.out_of_range'],
  ])('the default three-minute window: a timestamp %s is %s', async (_title, t, code) => {
    expect(await verifyCode(calendly({ secret: SECRET, crypto }), { headers: headersFor(header(t)), body: BODY })).toBe(
      code,
    )
  })

  it('the signed timestamp counts: t changed after signing is refused', async () => {
    const forged = header(NOW_S - 3600).replace(`t=${NOW_S - 3600}`, `t=${NOW_S}`)
    expect(await verifyCode(calendly({ secret: SECRET, crypto }), { headers: headersFor(forged), body: BODY })).toBe(
      'signature.invalid',
    )
  })

  it('refuses a changed body and a wrong key; accepts either key of a rotation, and a v1 list', async () => {
    const provider = calendly({ secret: SECRET, crypto })
    expect(await verifyCode(provider, { headers: headersFor(header(NOW_S)), body: `${BODY} ` })).toBe(
      'signature.invalid',
    )
    expect(await verifyCode(provider, { headers: headersFor(header(NOW_S, OTHER)), body: BODY })).toBe(
      'signature.invalid',
    )
    const rotating = calendly({ secret: [SECRET, OTHER], crypto })
    expect(await verifyCode(rotating, { headers: headersFor(header(NOW_S, OTHER)), body: BODY })).toBe('ok')
    const both = `${header(NOW_S, OTHER)},v1=${hmacHex(SECRET, `${NOW_S}.`, BODY)}`
    expect(await verifyCode(provider, { headers: headersFor(both), body: BODY })).toBe('ok')
  })

  it('signRequest produces the guide’s header', async () => {
    const signed = await signRequest(calendly({ secret: SECRET, crypto }), { body: BODY, timestamp: NOW_S })
    expect(signed.headers['calendly-webhook-signature']).toBe(header(NOW_S))
  })
})

describe('calendly: Calendly-Webhook-Signature parsing', () => {
  const good = header(NOW_S)
  const v1 = good.split('v1=')[1]!
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'Content-Type': 'application/json' }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['no t', 400, 'signature.malformed', headersFor(`v1=${v1}`)],
    ['two t', 400, 'signature.malformed', headersFor(`t=${NOW_S},${good}`)],
    ['no v1', 401, 'signature.invalid', headersFor(`t=${NOW_S}`)],
    ['a v0 only', 401, 'signature.invalid', headersFor(`t=${NOW_S},v0=${v1}`)],
    ['upper-case hex', 400, 'signature.malformed', headersFor(`t=${NOW_S},v1=${v1.toUpperCase()}`)],
    ['a short v1', 400, 'signature.malformed', headersFor(`t=${NOW_S},v1=${v1.slice(2)}`)],
    ['spaces after commas', 400, 'header.duplicated', headersFor(`t=${NOW_S}, v1=${v1}`)],
    ['a t in milliseconds (13 digits)', 400, 'timestamp.malformed', headersFor(header(NOW_S * 1000))],
    ['a t with letters', 400, 'timestamp.malformed', headersFor(`t=17e8,v1=${v1}`)],
    ['33 entries', 400, 'signature.malformed', headersFor(`${good}${',x=1'.repeat(31)}`)],
    ['the header twice', 400, 'header.duplicated', { 'Calendly-Webhook-Signature': [good, good] }],
  ]
  headerTable(() => calendly({ secret: SECRET }), BODY, cases, [v1.slice(0, 16)])

  it('ignores unknown keys, as Calendly’s guide does', async () => {
    expect(await verifyCode(calendly({ secret: SECRET }), { headers: headersFor(`${good},v2=zz`), body: BODY })).toBe(
      'ok',
    )
  })
})

describe('calendly: configuration', () => {
  refusesWeakSecrets('calendly', (secret) => calendly({ secret: secret as string }))

  it('defaults to 180 s, takes a tolerance, and can turn the check off explicitly', async () => {
    expect(calendly({ secret: SECRET }).tolerance).toBe(180)
    const wide = calendly({ secret: SECRET, tolerance: 600 })
    expect(await verifyCode(wide, { headers: headersFor(header(NOW_S - 500)), body: BODY })).toBe('ok')
    const off = calendly({ secret: SECRET, skipTimestampCheck: true })
    expect(await verifyCode(off, { headers: headersFor(header(1)), body: BODY })).toBe('ok')
    expect(configMessage(() => calendly({ secret: SECRET, tolerance: 0 }))).toMatch(/tolerance must be/)
  })
})
