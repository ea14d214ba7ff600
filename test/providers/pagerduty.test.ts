import { describe, expect, it } from 'vitest'
import { pagerduty } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, hmacHex, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

// go-pagerduty webhookv3/webhookv3_test.go: its secret, body and valid/mismatching signatures.
const VECTOR = {
  secret: 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK',
  body: `{"event":{"id":"01BWDWL3NYY7LUFPZCC28QUCMK","event_type":"incident.priority_updated","resource_type":"incident","occurred_at":"2021-04-26T17:36:27.458Z","agent":{"html_url":"https://acme.pagerduty.com/users/PLH1HKV","id":"PLH1HKV","self":"https://api.pagerduty.com/users/PLH1HKV","summary":"Tenex Engineer","type":"user_reference"},"client":null,"data":{"id":"PGR0VU2","type":"incident","self":"https://api.pagerduty.com/incidents/PGR0VU2","html_url":"https://acme.pagerduty.com/incidents/PGR0VU2","number":2,"status":"triggered","title":"A little bump in the road","service":{"html_url":"https://acme.pagerduty.com/services/PF9KMXH","id":"PF9KMXH","self":"https://api.pagerduty.com/services/PF9KMXH","summary":"API Service","type":"service_reference"},"assignees":[{"html_url":"https://acme.pagerduty.com/users/PTUXL6G","id":"PTUXL6G","self":"https://api.pagerduty.com/users/PTUXL6G","summary":"User 123","type":"user_reference"}],"escalation_policy":{"html_url":"https://acme.pagerduty.com/escalation_policies/PUS0KTE","id":"PUS0KTE","self":"https://api.pagerduty.com/escalation_policies/PUS0KTE","summary":"Default","type":"escalation_policy_reference"},"teams":[{"html_url":"https://acme.pagerduty.com/teams/PFCVPS0","id":"PFCVPS0","self":"https://api.pagerduty.com/teams/PFCVPS0","summary":"Engineering","type":"team_reference"}],"priority":{"html_url":"https://acme.pagerduty.com/account/incident_priorities","id":"PSO75BM","self":"https://api.pagerduty.com/priorities/PSO75BM","summary":"P1","type":"priority_reference"},"urgency":"high","conference_bridge":{"conference_number":1000,"conference_url":"https://example.com"},"resolve_reason":null}}}`,
  valid: 'v1=0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd',
  mismatch: 'v1=7020c8a7ec668a9b7012bc3dd82e483394b038f4230acc6785efbf2a7d8bcaf5',
}
const NEW_SECRET = 'Rk4v8pQm2Zx7Lc1Nw6Ty3Hb9Js5Df0Ga8Ue2Io4Pl7Kj1Mn3Bv6Cx9Zq5Wr2Et8Y'
const headersFor = (signature: string) => ({ 'content-type': 'application/json', 'x-pagerduty-signature': signature })

describe.each(BACKENDS)('pagerduty with %s', (_name, crypto) => {
  it('accepts go-pagerduty’s valid vector and refuses its mismatching one', async () => {
    const provider = pagerduty({ secret: VECTOR.secret, crypto })
    expect(await verifyCode(provider, { headers: headersFor(VECTOR.valid), body: VECTOR.body })).toBe('ok')
    expect(await verifyCode(provider, { headers: headersFor(VECTOR.mismatch), body: VECTOR.body })).toBe(
      'signature.invalid',
    )
  })

  it('the vector end to end: id event.id, type event.event_type (both signed), signature redacted', async () => {
    const r = await runOne(pagerduty({ secret: VECTOR.secret, crypto }), {
      headers: headersFor(VECTOR.valid),
      body: VECTOR.body,
    })
    expect(r.enqueued[0]).toMatchObject({
      id: '01BWDWL3NYY7LUFPZCC28QUCMK',
      type: 'incident.priority_updated',
      provider: 'pagerduty',
    })
    expect(r.enqueued[0]!.headers['x-pagerduty-signature']).toBe('[redacted]')
  })

  it('rotation: one v1 per secret, any match passes, in any position; other versions are skipped', async () => {
    const rotated = `v1=${hmacHex(NEW_SECRET, VECTOR.body)},${VECTOR.valid}`
    const oldOnly = pagerduty({ secret: VECTOR.secret, crypto })
    const newOnly = pagerduty({ secret: NEW_SECRET, crypto })
    expect(await verifyCode(oldOnly, { headers: headersFor(rotated), body: VECTOR.body })).toBe('ok')
    expect(await verifyCode(newOnly, { headers: headersFor(rotated), body: VECTOR.body })).toBe('ok')
    const withV2 = `v2=${'ab'.repeat(32)},${VECTOR.valid}`
    expect(await verifyCode(oldOnly, { headers: headersFor(withV2), body: VECTOR.body })).toBe('ok')
  })

  it('a retry is a duplicate; a changed body is refused', async () => {
    const provider = pagerduty({ secret: VECTOR.secret, crypto })
    const runs = await run(provider, [
      { headers: headersFor(VECTOR.valid), body: VECTOR.body },
      { headers: headersFor(VECTOR.valid), body: VECTOR.body },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
    const changed = VECTOR.body.replace('"urgency":"high"', '"urgency":"low"')
    expect(await verifyCode(provider, { headers: headersFor(VECTOR.valid), body: changed })).toBe('signature.invalid')
  })

  it('signRequest reproduces the vector, and signs with every secret during a rotation', async () => {
    const signed = await signRequest(pagerduty({ secret: VECTOR.secret, crypto }), { body: VECTOR.body })
    expect(signed.headers['x-pagerduty-signature']).toBe(VECTOR.valid)
    const both = await signRequest(pagerduty({ secret: [NEW_SECRET, VECTOR.secret], crypto }), { body: VECTOR.body })
    expect(both.headers['x-pagerduty-signature']).toBe(`v1=${hmacHex(NEW_SECRET, VECTOR.body)},${VECTOR.valid}`)
  })
})

describe('pagerduty: X-PagerDuty-Signature parsing', () => {
  const hex = VECTOR.valid.slice(3)
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'content-type': 'application/json' }],
    ['only another version', 401, 'signature.invalid', headersFor(`v2=${hex}`)],
    ['a bare MAC without v1=', 400, 'signature.malformed', headersFor(hex)],
    ['upper-case hex', 400, 'signature.malformed', headersFor(`v1=${hex.toUpperCase()}`)],
    ['a short v1', 400, 'signature.malformed', headersFor(`v1=${hex.slice(2)}`)],
    ['spaces after the comma', 400, 'header.duplicated', headersFor(`${VECTOR.valid}, ${VECTOR.valid}`)],
    ['33 entries', 400, 'signature.malformed', headersFor(Array(33).fill(VECTOR.valid).join(','))],
    ['the header twice', 400, 'header.duplicated', { 'x-pagerduty-signature': [VECTOR.valid, VECTOR.valid] }],
  ]
  headerTable(() => pagerduty({ secret: VECTOR.secret }), VECTOR.body, cases, [VECTOR.secret, hex])
})

describe('pagerduty: configuration', () => {
  refusesWeakSecrets('pagerduty', (secret) => pagerduty({ secret } as never))

  it('refuses a tolerance', () => {
    expect(configMessage(() => pagerduty({ secret: VECTOR.secret, tolerance: 60 } as never))).toMatch(
      /signs no timestamp/,
    )
  })
})
