import { describe, expect, it } from 'vitest'
import { sentry } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, hmacHex, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, verify, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

const SECRET = 'a9f3c1e7b5d2f8a4c6e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4'
const OTHER = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0'
// What Sentry sends: Python's json.dumps, with ', ' and ': ' separators and \u escapes for non-ASCII.
const BODY =
  '{"action": "created", "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"}, ' +
  '"data": {"issue": {"id": "1170820242", "title": "TypeError: caf\\u00e9 is undefined", "status": "unresolved"}}, ' +
  '"actor": {"type": "application", "id": "sentry", "name": "Sentry"}}'
const INSTALL =
  '{"action": "created", "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"}, ' +
  '"data": {"installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9", "code": "2f3e4d5c6b7a"}}, ' +
  '"actor": {"type": "user", "id": 1, "name": "Ada"}}'
const REQUEST_ID = '5c1a1d2f8b2e4a6c9d0e7f8a9b0c1d2e'

// Sentry's build_signature: hex HMAC-SHA256(client secret, body).
const headersFor = (sig: string, resource = 'issue', id = REQUEST_ID) => ({
  'content-type': 'application/json',
  'request-id': id,
  'sentry-hook-resource': resource,
  'sentry-hook-timestamp': '1700000000',
  'sentry-hook-signature': sig,
})

describe.each(BACKENDS)('sentry with %s', (_name, crypto) => {
  it('accepts the bytes Sentry sends; id Request-ID, type resource.action, MAC as fingerprint', async () => {
    const provider = sentry({ secret: SECRET, crypto })
    const r = await runOne(provider, { headers: headersFor(hmacHex(SECRET, BODY)), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: REQUEST_ID, type: 'issue.created', provider: 'sentry' })
    expect(r.enqueued[0]!.headers['sentry-hook-signature']).toBe('[redacted]')
    const v = await verify(provider, { headers: headersFor(hmacHex(SECRET, BODY)), body: BODY })
    expect(Buffer.from(v.fingerprint!).toString('hex')).toBe(hmacHex(SECRET, BODY))
  })

  it('the installation webhook is an ordinary signed event (installation.created), queued with its grant code', async () => {
    const r = await runOne(sentry({ secret: SECRET, crypto }), {
      headers: headersFor(hmacHex(SECRET, INSTALL), 'installation'),
      body: INSTALL,
    })
    expect(r.enqueued[0]).toMatchObject({ type: 'installation.created' })
    expect((r.enqueued[0]!.payload as { data: { installation: { code: string } } }).data.installation.code).toBe(
      '2f3e4d5c6b7a',
    )
  })

  it('verifies raw bytes: the body re-serialised as Sentry’s docs snippet does (JSON.stringify) is refused', async () => {
    const reserialised = JSON.stringify(JSON.parse(BODY))
    expect(reserialised).not.toBe(BODY)
    const headers = headersFor(hmacHex(SECRET, BODY))
    expect(await verifyCode(sentry({ secret: SECRET, crypto }), { headers, body: reserialised })).toBe(
      'signature.invalid',
    )
  })

  it('a retry (fresh Request-ID and timestamp, same payload) and a resend are duplicates', async () => {
    const sig = hmacHex(SECRET, BODY)
    const retry = {
      ...headersFor(sig, 'issue', 'ffffffffffffffffffffffffffffffff'),
      'sentry-hook-timestamp': '1700000999',
    }
    const runs = await run(sentry({ secret: SECRET, crypto }), [
      { headers: headersFor(sig), body: BODY },
      { headers: retry, body: BODY },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate'])
  })

  it('the unsigned Sentry-Hook-Timestamp is not checked: an old one still verifies', async () => {
    const headers = { ...headersFor(hmacHex(SECRET, BODY)), 'sentry-hook-timestamp': '1' }
    expect(await verifyCode(sentry({ secret: SECRET, crypto }), { headers, body: BODY })).toBe('ok')
  })

  it('refuses another secret; accepts either secret of a rotation; signRequest matches build_signature', async () => {
    const other = headersFor(hmacHex(OTHER, BODY))
    expect(await verifyCode(sentry({ secret: SECRET, crypto }), { headers: other, body: BODY })).toBe(
      'signature.invalid',
    )
    expect(await verifyCode(sentry({ secret: [SECRET, OTHER], crypto }), { headers: other, body: BODY })).toBe('ok')
    const signed = await signRequest(sentry({ secret: SECRET, crypto }), { body: BODY, id: REQUEST_ID })
    expect(signed.headers).toMatchObject({ 'sentry-hook-signature': hmacHex(SECRET, BODY), 'request-id': REQUEST_ID })
  })
})

describe('sentry: header parsing', () => {
  const mac = hmacHex(SECRET, BODY)
  const cases: HeaderCase[] = [
    ['no signature', 401, 'signature.missing', { 'content-type': 'application/json', 'request-id': REQUEST_ID }],
    ['a sha256= prefix', 400, 'signature.malformed', headersFor(`sha256=${mac}`)],
    ['upper-case hex', 400, 'signature.malformed', headersFor(mac.toUpperCase())],
    ['a truncated MAC', 400, 'signature.malformed', headersFor(mac.slice(0, 62))],
    ['the signature twice', 400, 'header.duplicated', { ...headersFor(mac), 'sentry-hook-signature': [mac, mac] }],
    ['a valid signature but no Request-ID', 400, 'id.missing', { ...headersFor(mac), 'request-id': '' }],
    ['a MAC under another secret', 401, 'signature.invalid', headersFor(hmacHex(OTHER, BODY))],
  ]
  headerTable(() => sentry({ secret: SECRET }), BODY, cases, [SECRET, mac])
})

describe('sentry: configuration', () => {
  refusesWeakSecrets('sentry', (secret) => sentry({ secret } as never))

  it('refuses a tolerance: Sentry-Hook-Timestamp is not signed', () => {
    expect(configMessage(() => sentry({ secret: SECRET, tolerance: 300 } as never))).toMatch(/signs no timestamp/)
  })
})
