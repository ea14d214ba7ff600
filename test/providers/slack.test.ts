import { createHash, createHmac } from 'node:crypto'
// The verifier alone: importing all of @slack/bolt would load its HTTP stack.
import { verifySlackRequest } from '@slack/bolt/dist/receivers/verify-request.js'
import { describe, expect, it } from 'vitest'
import { slack } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, NOW_MS, NOW_S, verifyCode } from './core-support.js'
import { everything, run, runOne } from './hmac-support.js'

const SECRET = 'e3b7f1c09a5d4c62b8e1f0a2d4c6b8e1'
const OTHER = '0a1b2c3d4e5f60718293a4b5c6d7e8f9'
const EVENT = JSON.stringify({
  token: 'XXYYZZ',
  team_id: 'T123ABC456',
  api_app_id: 'A123ABC456',
  event: {
    type: 'app_mention',
    user: 'U123ABC456',
    text: 'héllo <@U0LAN0Z89>',
    ts: '1515449522.000016',
    channel: 'C123ABC456',
  },
  type: 'event_callback',
  event_id: 'Ev123ABC456',
  event_time: 1515449522,
})

function sign(body: string, timestamp = NOW_S, secret = SECRET): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')
  return {
    'content-type': 'application/json',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${mac}`,
  }
}

function boltAccepts(body: string, headers: Record<string, string>, nowMs = NOW_MS): boolean {
  try {
    verifySlackRequest({
      signingSecret: SECRET,
      body,
      nowMilliseconds: nowMs,
      headers: {
        'x-slack-signature': headers['x-slack-signature']!,
        'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
      },
    })
    return true
  } catch {
    return false
  }
}

describe('slack: published vector', () => {
  // api.slack.com/authentication/verifying-requests-from-slack: the slash-command example.
  const secret = '8f742231b10e8888abcd99yyyzzz85a5'
  const timestamp = 1531420618
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
  const headers = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  }

  it.each(BACKENDS)(
    'accepts Slack’s documented slash command with %s; the form is parsed after verification and trigger_id is the id',
    async (_n, crypto) => {
      const r = await runOne(slack({ secret, crypto }), { headers, body }, timestamp * 1000)
      expect(r.result.status).toBe(200)
      expect(r.enqueued).toHaveLength(1)
      expect(r.enqueued[0]).toMatchObject({
        id: '398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
        type: 'slash_command',
        timestamp,
      })
      expect(r.enqueued[0]!.payload).toMatchObject({
        command: '/webhook-collect',
        text: '',
        team_domain: 'testteamnow',
      })
    },
  )

  it('rejects the documented request once one byte of the form changes', async () => {
    const r = await runOne(slack({ secret }), { headers, body: body.replace('foobar', 'foobaz') }, timestamp * 1000)
    expect(r.result.status).toBe(401)
    expect(r.enqueued).toHaveLength(0)
  })

  it('signRequest reproduces the documented signature', async () => {
    const signed = await signRequest(slack({ secret }), {
      body,
      timestamp,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(signed.headers['x-slack-signature']).toBe(headers['x-slack-signature'])
  })
})

describe('slack: interop with @slack/bolt’s verifySlackRequest', () => {
  it('a request bolt accepts passes hookguard', async () => {
    const headers = sign(EVENT)
    expect(boltAccepts(EVENT, headers)).toBe(true)
    const r = await runOne(slack({ secret: SECRET }), { headers, body: EVENT })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: 'Ev123ABC456', type: 'app_mention', provider: 'slack', timestamp: NOW_S })
    expect(r.enqueued[0]!.headers['x-slack-signature']).toBe('[redacted]')
  })

  it('a request signed by signRequest passes bolt', async () => {
    const signed = await signRequest(slack({ secret: SECRET }), { body: EVENT, now: () => NOW_MS })
    expect(boltAccepts(EVENT, signed.headers)).toBe(true)
  })

  it('stricter than bolt: a timestamp 10 minutes in the future passes bolt but is refused', async () => {
    const headers = sign(EVENT, NOW_S + 600)
    expect(boltAccepts(EVENT, headers)).toBe(true)
    const r = await runOne(slack({ secret: SECRET }), { headers, body: EVENT })
    expect(r.result.status).toBe(401)
    expect(r.code).toBe('timestamp.out_of_range')
  })

  it('stricter than bolt: a timestamp with a trailing space or a decimal point is malformed', async () => {
    for (const bad of [`${NOW_S} `, `${NOW_S}.0`, `+${NOW_S}`, `${NOW_S}e0`]) {
      const headers = { ...sign(EVENT), 'x-slack-request-timestamp': bad }
      expect(await verifyCode(slack({ secret: SECRET }), { headers, body: EVENT })).toMatch(/^timestamp\.malformed$/)
    }
  })
})

describe.each(BACKENDS)('slack with %s', (_n, crypto) => {
  const provider = () => slack({ secret: SECRET, crypto })

  it('answers url_verification with the challenge as text, after verifying it, and enqueues nothing', async () => {
    const body = JSON.stringify({
      token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    })
    const r = await runOne(provider(), { headers: sign(body), body })
    expect(r.result.status).toBe(200)
    expect(r.result.body).toBe('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P')
    expect(r.result.headers['content-type']).toMatch(/^text\/plain/)
    expect(r.code).toBe('handshake')
    expect(r.enqueued).toHaveLength(0)
    const forged = await runOne(provider(), { headers: sign(body, NOW_S, OTHER), body })
    expect(forged.result.status).toBe(401)
    expect(forged.result.body).not.toContain('3eZbrw1a')
  })

  it('answers ssl_check with an empty 200 and enqueues nothing', async () => {
    const body = 'ssl_check=1&token=XXYYZZ'
    const r = await runOne(provider(), {
      headers: { ...sign(body), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
    expect(r.result.status).toBe(200)
    expect(r.result.body).toBe('')
    expect(r.enqueued).toHaveLength(0)
  })

  it('parses interactivity payloads after verifying the raw form bytes', async () => {
    const inner = {
      type: 'block_actions',
      trigger_id: '13345224609.738474920.8088930838d88f008e0',
      actions: [{ action_id: 'a+b', value: 'x&y=z' }],
    }
    const body = `payload=${encodeURIComponent(JSON.stringify(inner))}`
    const r = await runOne(provider(), {
      headers: { ...sign(body), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({ id: inner.trigger_id, type: 'block_actions', payload: inner })
  })

  it('falls back to a body hash for an interactivity payload without trigger_id', async () => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'view_closed', view: { id: 'V1' } }))}`
    const r = await runOne(provider(), {
      headers: { ...sign(body), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
    expect(r.enqueued[0]!.id).toBe(`sha256:${createHash('sha256').update(body).digest('hex')}`)
  })

  it('treats a retry (X-Slack-Retry-Num, same event_id) as a duplicate and keeps the retry headers visible', async () => {
    const first = { headers: sign(EVENT), body: EVENT }
    const retry = {
      headers: { ...sign(EVENT), 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
      body: EVENT,
    }
    const [a, b] = await run(provider(), [first, retry])
    expect(a!.code).toBe('accepted')
    expect(b!.code).toBe('duplicate')
    expect(b!.result.status).toBe(200)
    expect(b!.enqueued).toHaveLength(1)
    const [only] = await run(provider(), [retry])
    expect(only!.enqueued[0]!.headers).toMatchObject({
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    })
  })

  it.each([
    [
      'a forged signature',
      (h: Record<string, string>) => ({ ...h, 'x-slack-signature': `v0=${'0'.repeat(64)}` }),
      401,
      'signature.invalid',
    ],
    [
      'a missing signature',
      (h: Record<string, string>) => ({ ...h, 'x-slack-signature': '' }),
      401,
      'signature.missing',
    ],
    [
      'a v1= prefix',
      (h: Record<string, string>) => ({ ...h, 'x-slack-signature': h['x-slack-signature']!.replace('v0=', 'v1=') }),
      400,
      'signature.malformed',
    ],
    [
      'a truncated signature',
      (h: Record<string, string>) => ({ ...h, 'x-slack-signature': h['x-slack-signature']!.slice(0, -2) }),
      400,
      'signature.malformed',
    ],
    [
      'non-hex signature',
      (h: Record<string, string>) => ({ ...h, 'x-slack-signature': `v0=${'zz'.repeat(32)}` }),
      400,
      'signature.malformed',
    ],
    [
      'a missing timestamp',
      (h: Record<string, string>) => ({ ...h, 'x-slack-request-timestamp': '' }),
      401,
      'timestamp.missing',
    ],
    [
      'a duplicated signature header',
      (h: Record<string, string>) => ({ ...h, 'X-Slack-Signature': h['x-slack-signature']! }),
      400,
      'header.duplicated',
    ],
  ])('rejects %s', async (_t, mutate, status, code) => {
    const r = await runOne(provider(), { headers: mutate(sign(EVENT)), body: EVENT })
    expect([r.result.status, r.code]).toEqual([status, code])
    expect(r.enqueued).toHaveLength(0)
  })

  it('rejects stale and future timestamps beyond the tolerance and accepts them inside it', async () => {
    expect((await runOne(provider(), { headers: sign(EVENT, NOW_S - 301), body: EVENT })).code).toBe(
      'timestamp.out_of_range',
    )
    expect((await runOne(provider(), { headers: sign(EVENT, NOW_S + 301), body: EVENT })).code).toBe(
      'timestamp.out_of_range',
    )
    expect((await runOne(provider(), { headers: sign(EVENT, NOW_S - 299), body: EVENT })).code).toBe('accepted')
    expect(
      (
        await runOne(slack({ secret: SECRET, crypto, tolerance: 30 }), {
          headers: sign(EVENT, NOW_S - 31),
          body: EVENT,
        })
      ).code,
    ).toBe('timestamp.out_of_range')
  })

  it('accepts either secret during a rotation', async () => {
    const rotating = slack({ secret: [OTHER, SECRET], crypto })
    expect((await runOne(rotating, { headers: sign(EVENT, NOW_S, SECRET), body: EVENT })).code).toBe('accepted')
    expect((await runOne(rotating, { headers: sign(EVENT, NOW_S, OTHER), body: EVENT })).code).toBe('accepted')
  })

  it('never echoes the secret or the signatures in a response', async () => {
    const headers = { ...sign(EVENT), 'x-slack-signature': `v0=${'ab'.repeat(32)}` }
    const r = await runOne(provider(), { headers, body: EVENT })
    const text = everything(r)
    for (const s of [SECRET, 'ab'.repeat(32), sign(EVENT)['x-slack-signature']!.slice(3)]) expect(text).not.toContain(s)
  })
})

describe('slack: configuration', () => {
  it.each([
    ['an empty secret', ''],
    ['a placeholder', 'changeme'],
    ['a short secret', 'abc123'],
    ['a padded secret', ` ${SECRET}`],
  ])('refuses %s at construction, without echoing it', (_t, secret) => {
    const message = configMessage(() => slack({ secret }))
    expect(message).toMatch(/^hookguard: slack: secret/)
    if (secret.trim() !== '') expect(message).not.toContain(secret.trim())
  })

  it('refuses a zero tolerance', () => {
    expect(configMessage(() => slack({ secret: SECRET, tolerance: 0 }))).toMatch(/tolerance/)
  })
})
