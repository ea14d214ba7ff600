import { describe, expect, it } from 'vitest'
import { createReceiver, gitlab, type Outcome } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const TOKEN = 'glwt-7Qm2xK9pV4rT8sW1zN6b'
const OTHER = 'glwt-3Hd5Lf8Jk1Mn4Pq7Rs0v'
const BODY = JSON.stringify({
  object_kind: 'push',
  event_name: 'push',
  ref: 'refs/heads/main',
  user_name: 'Jöhn Smith',
  project: { path_with_namespace: 'acme/app' },
})

function headers(token = TOKEN, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'GitLab/17.6.0',
    'x-gitlab-event': 'Push Hook',
    'x-gitlab-token': token,
    'x-gitlab-instance': 'https://gitlab.example.com',
    'x-gitlab-webhook-uuid': '3c5c0404-c866-44bc-a5f6-452bb1bfc76e',
    'x-gitlab-event-uuid': '9cebe914-4827-408f-b014-cfa23a47a35f',
    'idempotency-key': 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f',
    ...extra,
  }
}

describe.each(BACKENDS)('gitlab with %s', (_n, crypto) => {
  const provider = (extra = {}) => gitlab({ secret: TOKEN, crypto, ...extra })

  it('accepts the right token; Idempotency-Key is the id, X-Gitlab-Event the type', async () => {
    const r = await runOne(provider(), { headers: headers(), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f',
      type: 'Push Hook',
      provider: 'gitlab',
    })
    expect(r.enqueued[0]!.timestamp).toBeUndefined()
  })

  it('redacts the token everywhere: the event headers and the outcome', async () => {
    const outcomes: Outcome[] = []
    let seen: unknown
    const receiver = createReceiver({
      provider: provider(),
      now: () => NOW_MS,
      logger: false,
      onOutcome: (o) => void outcomes.push(o),
    })
    const ok = await receiver.handle(
      { method: 'POST', headers: headers(), body: BODY },
      { deliver: (e) => ((seen = e), true) },
    )
    const bad = await receiver.handle({ method: 'POST', headers: headers(`${TOKEN}x`), body: BODY })
    expect(provider().sensitiveHeaders).toContain('x-gitlab-token')
    expect((seen as { headers: Record<string, string> }).headers['x-gitlab-token']).toBe('[redacted]')
    for (const text of [JSON.stringify(seen), JSON.stringify(outcomes), JSON.stringify(ok), JSON.stringify(bad)])
      expect(text).not.toContain(TOKEN)
  })

  it('falls back to X-Gitlab-Event-UUID on GitLab without Idempotency-Key, never to X-Gitlab-Webhook-UUID', async () => {
    const h = headers()
    delete h['idempotency-key']
    const r = await runOne(provider(), { headers: h, body: BODY })
    expect(r.enqueued[0]!.id).toBe('9cebe914-4827-408f-b014-cfa23a47a35f')
    delete h['x-gitlab-event-uuid']
    const none = await runOne(provider(), { headers: h, body: BODY })
    expect([none.result.status, none.code]).toEqual([400, 'id.missing'])
  })

  it('a retry (same Idempotency-Key, new X-Gitlab-Webhook-UUID) is a duplicate', async () => {
    const [a, b] = await run(provider(), [
      { headers: headers(), body: BODY },
      { headers: headers(TOKEN, { 'x-gitlab-webhook-uuid': 'd9f0e4a1-0000-4000-8000-000000000001' }), body: BODY },
    ])
    expect([a!.code, b!.code]).toEqual(['accepted', 'duplicate'])
  })

  it.each([
    ['a wrong token', OTHER, 401, 'signature.invalid'],
    ['a token with a suffix', `${TOKEN}x`, 401, 'signature.invalid'],
    ['a prefix of the token', TOKEN.slice(0, -1), 401, 'signature.invalid'],
    ['a differently cased token', TOKEN.toUpperCase(), 401, 'signature.invalid'],
    ['an empty token', '', 401, 'signature.missing'],
  ])('rejects %s', async (_t, token, status, code) => {
    const r = await runOne(provider(), { headers: headers(token), body: BODY })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('rejects a duplicated token header', async () => {
    const r = await runOne(provider(), { headers: { ...headers(), 'X-Gitlab-Token': TOKEN }, body: BODY })
    expect(r.code).toBe('header.duplicated')
  })

  it('accepts either token during a rotation; signRequest output passes', async () => {
    const rotating = provider({ secret: [OTHER, TOKEN] })
    expect((await runOne(rotating, { headers: headers(TOKEN), body: BODY })).code).toBe('accepted')
    expect((await runOne(rotating, { headers: headers(OTHER), body: BODY })).code).toBe('accepted')
    const signed = await signRequest(provider(), { body: BODY, id: 'k-1' })
    expect((await runOne(provider(), signed)).enqueued[0]!.id).toBe('k-1')
  })

  it('never echoes the token in an error response', async () => {
    const r = await runOne(provider(), { headers: headers(OTHER), body: BODY })
    expect(everything(r)).not.toContain(OTHER)
    expect(everything(r)).not.toContain(TOKEN)
  })
})

describe('gitlab: configuration', () => {
  it('refuses a tolerance: GitLab sends no timestamp', () => {
    expect(configMessage(() => gitlab({ secret: TOKEN, tolerance: 30 } as never))).toMatch(/no timestamp/)
  })
  it.each(['', 'token', 'gitlab-secret', 'aaaaaaaaaaaaaaaaaaaa'])(
    'refuses the weak token %j without echoing it',
    (secret) => {
      const message = configMessage(() => gitlab({ secret }))
      expect(message).toMatch(/^hookguard: gitlab: secret/)
      if (secret) expect(message).not.toContain(secret)
    },
  )
})
