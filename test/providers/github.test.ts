import { sign as octokitSign, verify as octokitVerify, verifyWithFallback } from '@octokit/webhooks-methods'
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { github, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, handle, statusOf, testReceiver, verify, verifyCode } from './core-support.js'

// GitHub docs, "Validating webhook deliveries": the documented test values.
const DOCS = {
  secret: "It's a Secret to Everybody",
  payload: 'Hello, World!',
  header: 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
}
const SECRET = DOCS.secret
const OTHER_SECRET = 'rotated-github-secret-2024'
const BODY =
  JSON.stringify(
    { action: 'opened', issue: { number: 1347, title: 'Ünïcödé 🚀' }, sender: { login: 'octocat' } },
    null,
    2,
  ) + '\n'
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958'

/** JSON as GitHub sends it: 2-space indent, a final newline, upper-case hex in \u escapes. */
function githubJson(value: unknown): string {
  return (JSON.stringify(value, null, 2) + '\n').replace(
    /\\u([\da-f]{4})/g,
    (_all, hex: string) => `\\u${hex.toUpperCase()}`,
  )
}

function headersFor(signature: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'X-GitHub-Event': 'issues',
    'X-GitHub-Delivery': DELIVERY,
    'X-Hub-Signature-256': signature,
    'Content-Type': 'application/json',
    ...extra,
  }
}

describe('github: published vectors', () => {
  it('accepts GitHub’s documented example and reads delivery id and event type', async () => {
    const provider = github({ secret: DOCS.secret })
    const { fingerprint, ...rest } = await verify(provider, { headers: headersFor(DOCS.header), body: DOCS.payload })
    expect(rest).toEqual({ id: DELIVERY, type: 'issues' })
    // The delivery id is not signed: the verified MAC (the documented signature's bytes) is the fingerprint.
    expect(Buffer.from(fingerprint!).toString('hex')).toBe(DOCS.header.slice('sha256='.length))
    // The signature passes; "Hello, World!" is then not JSON, which is a 400, not a 401.
    expect(await statusOf(provider, { headers: headersFor(DOCS.header), body: DOCS.payload })).toEqual({
      status: 400,
      code: 'body.malformed',
    })
  })

  it('signRequest and @octokit/webhooks-methods both produce the documented signature', async () => {
    const signed = await signRequest(github({ secret: DOCS.secret }), { body: DOCS.payload })
    expect(signed.headers['x-hub-signature-256']).toBe(DOCS.header)
    expect(await octokitSign(DOCS.secret, DOCS.payload)).toBe(DOCS.header)
  })

  // @octokit/webhooks-methods test/verify.test.ts (secrets of 8 and 11 bytes: GitHub lets users choose any).
  it.each([
    ['mysecret', githubJson({ foo: 'bar' }), 'sha256=e3eccac34c43c7dc1cbb905488b1b81347fcc700a7b025697a9d07862256023f'],
    [
      'development',
      githubJson({ foo: 'Foo\n\u001b[34mbar: ♥♥♥♥♥♥♥♥\nthis-is-lost\u001b[0m\u001b[2K' }),
      'sha256=9dacf9003316b09be07df56d86a2d0d6872e42a1e6c72c3bad9ff915a7c5603e',
    ],
  ])(
    'reproduces the octokit vector for secret %j, on both backends and end to end',
    async (secret, payload, expected) => {
      expect(await octokitVerify(secret, payload, expected)).toBe(true)
      for (const [, crypto] of BACKENDS) {
        const mac = await crypto.hmac('sha256', new TextEncoder().encode(secret), [payload])
        expect(`sha256=${Buffer.from(mac).toString('hex')}`).toBe(expected)
      }
      const receiver = testReceiver(github({ secret }))
      const result = await receiver.handle(
        { method: 'POST', headers: headersFor(expected), body: payload },
        { deliver: () => true },
      )
      expect(result.status).toBe(200)
    },
  )
})

describe.each(BACKENDS)('github with %s', (_name, crypto) => {
  it('X-GitHub-Delivery is not signed: a captured delivery resent under a fresh delivery id is a duplicate (fingerprint)', async () => {
    const receiver = testReceiver(github({ secret: SECRET, crypto }))
    const signature = await octokitSign(SECRET, BODY)
    const send = (delivery: string) =>
      receiver.handle(
        { method: 'POST', headers: headersFor(signature, { 'X-GitHub-Delivery': delivery }), body: BODY },
        { deliver: () => true },
      )
    expect((await send(DELIVERY)).outcome.kind).toBe('accepted')
    expect((await send('00000000-0000-4000-8000-000000000000')).outcome.kind).toBe('duplicate')
  })

  it('accepts a delivery signed by @octokit/webhooks-methods', async () => {
    const provider = github({ secret: SECRET, crypto })
    let event: WebhookEvent | undefined
    const receiver = testReceiver(provider)
    const result = await receiver.handle(
      { method: 'POST', headers: headersFor(await octokitSign(SECRET, BODY)), body: BODY },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({ id: DELIVERY, type: 'issues.opened', provider: 'github', payload: JSON.parse(BODY) })
    expect(event?.timestamp).toBeUndefined()
    expect(event?.headers['x-hub-signature-256']).toBe('[redacted]')
  })

  it('hookguard-signed deliveries pass octokit verify', async () => {
    const signed = await signRequest(github({ secret: SECRET, crypto }), { body: BODY, id: DELIVERY })
    expect(await octokitVerify(SECRET, BODY, signed.headers['x-hub-signature-256']!)).toBe(true)
    expect(signed.headers['x-github-delivery']).toBe(DELIVERY)
  })

  it('rotation: any secret of the list passes, as octokit’s verifyWithFallback does', async () => {
    const signature = await octokitSign(OTHER_SECRET, BODY)
    expect(await verifyWithFallback(SECRET, BODY, signature, [OTHER_SECRET])).toBe(true)
    expect(
      await verifyCode(github({ secret: [SECRET, OTHER_SECRET], crypto }), {
        headers: headersFor(signature),
        body: BODY,
      }),
    ).toBe('ok')
    expect(await verifyCode(github({ secret: SECRET, crypto }), { headers: headersFor(signature), body: BODY })).toBe(
      'signature.invalid',
    )
  })

  it('never uses SHA-1: a valid X-Hub-Signature alone is 401 signature.missing', async () => {
    const sha1 = 'sha1=' + createHmac('sha1', SECRET).update(BODY).digest('hex')
    const provider = github({ secret: SECRET, crypto })
    const headers = { 'X-GitHub-Event': 'issues', 'X-GitHub-Delivery': DELIVERY, 'X-Hub-Signature': sha1 }
    expect(await statusOf(provider, { headers, body: BODY })).toEqual({ status: 401, code: 'signature.missing' })
    // A valid SHA-1 next to a wrong SHA-256 does not help either.
    const wrong = 'sha256=' + '0'.repeat(64)
    expect(
      await statusOf(provider, { headers: { ...headersFor(wrong), 'X-Hub-Signature': sha1 }, body: BODY }),
    ).toEqual({ status: 401, code: 'signature.invalid' })
    // Nor does a SHA-1 MAC placed in the SHA-256 header with a sha1= prefix.
    expect(await statusOf(provider, { headers: headersFor(sha1), body: BODY })).toEqual({
      status: 400,
      code: 'signature.malformed',
    })
  })

  it('accepts a form-encoded delivery: the signature covers the raw form body, the JSON sits in payload', async () => {
    const form = 'payload=' + encodeURIComponent(BODY)
    const provider = github({ secret: SECRET, crypto })
    let event: WebhookEvent | undefined
    const receiver = testReceiver(provider)
    const headers = headersFor(await octokitSign(SECRET, form), { 'Content-Type': 'application/x-www-form-urlencoded' })
    const result = await receiver.handle(
      { method: 'POST', headers, body: form },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event?.payload).toEqual(JSON.parse(BODY))
    const noPayload = 'other=' + encodeURIComponent(BODY)
    const noPayloadHeaders = headersFor(await octokitSign(SECRET, noPayload), {
      'Content-Type': 'application/x-www-form-urlencoded',
    })
    expect(await statusOf(provider, { headers: noPayloadHeaders, body: noPayload })).toEqual({
      status: 400,
      code: 'body.malformed',
    })
  })

  it('no timestamp: the dedupe store is the replay protection — a replay is answered 200 duplicate and not delivered again', async () => {
    const receiver = testReceiver(github({ secret: SECRET, crypto }))
    const request = { method: 'POST', headers: headersFor(await octokitSign(SECRET, BODY)), body: BODY }
    let deliveries = 0
    const deliver = () => (deliveries++, true)
    expect((await receiver.handle(request, { deliver })).outcome.kind).toBe('accepted')
    const replay = await receiver.handle(request, { deliver })
    expect([replay.status, replay.outcome.kind, deliveries]).toEqual([200, 'duplicate', 1])
  })

  it('a valid signature without X-GitHub-Delivery is 400 id.missing; a bad one stays 401', async () => {
    const provider = github({ secret: SECRET, crypto })
    const signature = await octokitSign(SECRET, BODY)
    expect(await statusOf(provider, { headers: { 'X-Hub-Signature-256': signature }, body: BODY })).toEqual({
      status: 400,
      code: 'id.missing',
    })
    expect(
      await statusOf(provider, { headers: { 'X-Hub-Signature-256': 'sha256=' + 'ab'.repeat(32) }, body: BODY }),
    ).toEqual({ status: 401, code: 'signature.invalid' })
  })
})

describe('github: configuration', () => {
  it.each([
    ['an empty string', ''],
    ['whitespace only', '    '],
    ['a trailing newline', `${SECRET}\n`],
    ['a placeholder', 'password'],
    ['a repeated character', 'zzzzzzzzzzzzzzzz'],
    ['a secret under 8 bytes', 'short-1'],
    ['a number', 123456789012345],
    ['an empty list', []],
  ])('refuses %s as the secret with a TypeError that does not echo it', (_title, secret) => {
    const message = configMessage(() => github({ secret: secret as never }))
    expect(message).toMatch(/^hookguard: github: secret/)
    if (typeof secret === 'string' && secret.trim().length > 3) expect(message).not.toContain(secret.trim())
  })

  it('refuses a tolerance: GitHub signs no timestamp', () => {
    expect(configMessage(() => github({ secret: SECRET, tolerance: 300 } as never))).toMatch(/signs no timestamp/)
    expect(github({ secret: SECRET }).tolerance).toBeUndefined()
  })
})

describe('github: X-Hub-Signature-256 parsing', () => {
  const provider = github({ secret: SECRET })
  const cases: Array<[string, number, string, Record<string, string | string[]>]> = [
    ['no header', 401, 'signature.missing', { 'X-GitHub-Delivery': DELIVERY }],
    ['an empty header', 401, 'signature.missing', headersFor('')],
    ['only the prefix', 401, 'signature.invalid', headersFor('sha256=')],
    ['no prefix', 400, 'signature.malformed', headersFor(DOCS.header.slice(7))],
    ['an upper-case prefix', 400, 'signature.malformed', headersFor(DOCS.header.replace('sha256', 'SHA256'))],
    ['a truncated signature', 401, 'signature.invalid', headersFor(DOCS.header.slice(0, 41))],
    ['an odd-length signature', 400, 'signature.malformed', headersFor(DOCS.header.slice(0, 40))],
    ['a 100 KB signature', 401, 'signature.invalid', headersFor('sha256=' + 'ab'.repeat(50_000))],
    [
      'a base64 signature',
      400,
      'signature.malformed',
      headersFor('sha256=' + Buffer.from(DOCS.header.slice(7), 'hex').toString('base64')),
    ],
    ['multibyte characters', 400, 'signature.malformed', headersFor('sha256=ü€😀')],
    [
      '2000 comma-separated signatures',
      400,
      'signature.malformed',
      headersFor(Array(2000).fill(DOCS.header).join(',')),
    ],
    [
      'the header twice (array value)',
      400,
      'header.duplicated',
      { ...headersFor(''), 'X-Hub-Signature-256': [DOCS.header, DOCS.header] },
    ],
    [
      'the header under two spellings',
      400,
      'header.duplicated',
      { ...headersFor(DOCS.header), 'x-hub-signature-256': DOCS.header },
    ],
  ]
  it.each(cases)('answers %s with %i %s', async (_title, status, code, headers) => {
    expect(await statusOf(provider, { headers, body: DOCS.payload })).toEqual({ status, code })
  })

  it('keeps every 401 body identical and free of the signature', async () => {
    const results = await Promise.all(
      cases.filter((c) => c[1] === 401).map(([, , , headers]) => handle(provider, { headers, body: DOCS.payload })),
    )
    for (const result of results) {
      expect(result.body).toBe(results[0]!.body)
      expect(result.body + JSON.stringify(result.headers)).not.toContain('757107ea0eb2')
    }
  })
})
