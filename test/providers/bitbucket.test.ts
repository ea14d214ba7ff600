import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bitbucket } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, hmacHex, refusesWeakSecrets, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, verify, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

const SECRET = 'bb-webhook-secret-7Hq2Lx9'
const OTHER = 'bb-rotated-secret-3Mz8Kw1'
// The shape of a Bitbucket Cloud repo:push payload, with non-ASCII in the commit message.
const BODY = JSON.stringify({
  push: {
    changes: [
      {
        new: {
          type: 'branch',
          name: 'main',
          target: { hash: '709d658dc5b6d6afcd46049c2f332ee3f515a67d', message: 'Ünïcödé ✓\n' },
        },
      },
    ],
  },
  repository: { type: 'repository', full_name: 'team/repo', uuid: '{0c0d2b84-7b0b-4c89-9b0b-9d0a1e5f3c1a}' },
  actor: { type: 'user', display_name: 'Ada' },
})
const UUID = '3a6f1d2e-8a4b-4c3d-9e2f-1b0a9c8d7e6f'

/** Bitbucket's scheme, computed independently: 'sha256=' + hex HMAC-SHA256 of the raw body. */
const signature = (body = BODY, secret = SECRET) => `sha256=${hmacHex(secret, body)}`
const headersFor = (sig: string, extra: Record<string, string> = {}) => ({
  'content-type': 'application/json',
  'x-event-key': 'repo:push',
  'x-request-uuid': UUID,
  'x-hook-uuid': '{d1d2d3d4-0000-4000-8000-000000000001}',
  'x-attempt-number': '1',
  'x-hub-signature': sig,
  ...extra,
})

describe.each(BACKENDS)('bitbucket with %s', (_name, crypto) => {
  it('accepts a Cloud delivery; id X-Request-UUID, type X-Event-Key, signature redacted, MAC as fingerprint', async () => {
    const provider = bitbucket({ secret: SECRET, crypto })
    const r = await runOne(provider, { headers: headersFor(signature()), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: UUID, type: 'repo:push', provider: 'bitbucket' })
    expect(r.enqueued[0]!.headers['x-hub-signature']).toBe('[redacted]')
    const verification = await verify(provider, { headers: headersFor(signature()), body: BODY })
    expect(Buffer.from(verification.fingerprint!).toString('hex')).toBe(hmacHex(SECRET, BODY))
  })

  it('accepts a Data Center delivery (X-Request-Id) and refuses one with neither id header', async () => {
    const provider = bitbucket({ secret: SECRET, crypto })
    const dc = { 'content-type': 'application/json', 'x-event-key': 'repo:refs_changed', 'x-request-id': UUID }
    const r = await runOne(provider, { headers: { ...dc, 'x-hub-signature': signature() }, body: BODY })
    expect(r.enqueued[0]).toMatchObject({ id: UUID, type: 'repo:refs_changed' })
    const none = { 'content-type': 'application/json', 'x-hub-signature': signature() }
    expect((await runOne(provider, { headers: none, body: BODY })).code).toBe('id.missing')
  })

  it('a captured delivery resent under a fresh X-Request-UUID is a duplicate; a retry is a duplicate', async () => {
    const runs = await run(bitbucket({ secret: SECRET, crypto }), [
      { headers: headersFor(signature()), body: BODY },
      { headers: headersFor(signature(), { 'x-request-uuid': '9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e' }), body: BODY },
      { headers: headersFor(signature(), { 'x-attempt-number': '2' }), body: BODY },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate', 'duplicate'])
  })

  it('refuses a changed body and another secret; accepts either secret of a rotation', async () => {
    const provider = bitbucket({ secret: SECRET, crypto })
    expect(await verifyCode(provider, { headers: headersFor(signature()), body: BODY.replace('Ada', 'Eve') })).toBe(
      'signature.invalid',
    )
    const other = signature(BODY, OTHER)
    expect(await verifyCode(provider, { headers: headersFor(other), body: BODY })).toBe('signature.invalid')
    expect(
      await verifyCode(bitbucket({ secret: [SECRET, OTHER], crypto }), { headers: headersFor(other), body: BODY }),
    ).toBe('ok')
  })

  it('signRequest writes the header Bitbucket sends', async () => {
    const signed = await signRequest(bitbucket({ secret: SECRET, crypto }), { body: BODY, id: UUID })
    expect(signed.headers['x-hub-signature']).toBe(signature())
    expect(signed.headers['x-request-uuid']).toBe(UUID)
  })
})

describe('bitbucket: X-Hub-Signature parsing', () => {
  const mac = hmacHex(SECRET, BODY)
  const sha1 = createHmac('sha1', SECRET).update(BODY).digest('hex')
  const cases: HeaderCase[] = [
    ['no header', 401, 'signature.missing', { 'content-type': 'application/json', 'x-request-uuid': UUID }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['no sha256= prefix', 400, 'signature.malformed', headersFor(mac)],
    ['GitHub’s SHA-1 form (sha1=…)', 400, 'signature.malformed', headersFor(`sha1=${sha1}`)],
    ['a SHA-1 length MAC after sha256=', 400, 'signature.malformed', headersFor(`sha256=${sha1}`)],
    ['upper-case hex', 400, 'signature.malformed', headersFor(`sha256=${mac.toUpperCase()}`)],
    ['base64', 400, 'signature.malformed', headersFor(`sha256=${Buffer.from(mac, 'hex').toString('base64')}`)],
    [
      'the header twice',
      400,
      'header.duplicated',
      { ...headersFor(''), 'x-hub-signature': [`sha256=${mac}`, `sha256=${mac}`] },
    ],
    ['a valid MAC of another body', 401, 'signature.invalid', headersFor(`sha256=${hmacHex(SECRET, '{}')}`)],
  ]
  headerTable(() => bitbucket({ secret: SECRET }), BODY, cases, [SECRET, mac])
})

describe('bitbucket: configuration', () => {
  refusesWeakSecrets('bitbucket', (secret) => bitbucket({ secret } as never))

  it.each([
    ['a tolerance', { secret: SECRET, tolerance: 60 }, /signs no timestamp/],
    ['a secret under 8 bytes', { secret: 'abc1234' }, /too short/],
  ])('refuses %s', (_title, options, message) => {
    expect(configMessage(() => bitbucket(options as never))).toMatch(message)
  })

  it('lists only the signature header as sensitive and has no tolerance', () => {
    const provider = bitbucket({ secret: SECRET })
    expect([provider.sensitiveHeaders, provider.tolerance]).toEqual([['x-hub-signature'], undefined])
  })
})
