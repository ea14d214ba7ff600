import { describe, expect, it } from 'vitest'
import { telegram, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { BACKENDS, configMessage, statusOf, testReceiver, verifyCode } from './core-support.js'

const TOKEN = 'hookguard_Telegram-token_0123456789'
const OTHER = 'rotated_Telegram-token_9876543210'
const HEADER = 'x-telegram-bot-api-secret-token'
// The shape of the Bot API's documented Update (core.telegram.org/bots/api#update).
const UPDATE = JSON.stringify({
  update_id: 10000,
  message: {
    date: 1441645532,
    chat: { last_name: 'Test Lastname', id: 1111111, first_name: 'Test', username: 'Test' },
    message_id: 1365,
    from: { last_name: 'Test Lastname', id: 1111111, first_name: 'Test', username: 'Test' },
    text: '/start',
  },
})

describe.each(BACKENDS)('telegram with %s', (_name, crypto) => {
  it('accepts the configured secret token; the id is update_id and the type the update’s kind', async () => {
    let event: WebhookEvent | undefined
    const result = await testReceiver(telegram({ secret: TOKEN, crypto })).handle(
      { method: 'POST', headers: { 'content-type': 'application/json', [HEADER]: TOKEN }, body: UPDATE },
      { deliver: (e) => ((event = e), true) },
    )
    expect(result.status).toBe(200)
    expect(event).toMatchObject({ id: '10000', type: 'message', provider: 'telegram' })
    expect(event?.headers[HEADER]).toBe('[redacted]')
  })

  it.each([
    ['another token', { [HEADER]: OTHER }, 401, 'signature.invalid'],
    ['a prefix of the token', { [HEADER]: TOKEN.slice(0, 20) }, 401, 'signature.invalid'],
    ['the token with a trailing character', { [HEADER]: `${TOKEN}x` }, 401, 'signature.invalid'],
    ['no token', {}, 401, 'signature.missing'],
    ['an empty token', { [HEADER]: '' }, 401, 'signature.missing'],
    ['the header twice', { [HEADER]: [TOKEN, TOKEN] }, 400, 'header.duplicated'],
  ])('refuses %s', async (_title, headers, status, code) => {
    expect(await statusOf(telegram({ secret: TOKEN, crypto }), { headers, body: UPDATE })).toEqual({ status, code })
  })

  it('a resend of the same update_id (Telegram retries until 2xx) is a 200 duplicate', async () => {
    const receiver = testReceiver(telegram({ secret: TOKEN, crypto }))
    let delivered = 0
    const send = () =>
      receiver.handle(
        { method: 'POST', headers: { [HEADER]: TOKEN }, body: UPDATE },
        { deliver: () => (delivered++, true) },
      )
    expect((await send()).outcome.kind).toBe('accepted')
    expect((await send()).outcome.kind).toBe('duplicate')
    expect(delivered).toBe(1)
  })

  it('the token does not cover the body: whoever holds it can send any update (what HTTPS must protect)', async () => {
    const forged = UPDATE.replace('/start', '/transfer')
    expect(await verifyCode(telegram({ secret: TOKEN, crypto }), { headers: { [HEADER]: TOKEN }, body: forged })).toBe(
      'ok',
    )
  })

  it('rotation and per-bot tokens: any token of the list, or the resolver’s answer, passes', async () => {
    expect(
      await verifyCode(telegram({ secret: [TOKEN, OTHER], crypto }), { headers: { [HEADER]: OTHER }, body: UPDATE }),
    ).toBe('ok')
    const perBot = telegram({ secret: ({ url }) => (url === '/hooks' ? OTHER : undefined), crypto })
    expect(await verifyCode(perBot, { headers: { [HEADER]: OTHER }, body: UPDATE })).toBe('ok')
    expect(await verifyCode(perBot, { headers: { [HEADER]: TOKEN }, body: UPDATE })).toBe('signature.invalid')
  })
})

describe('telegram: the update id', () => {
  it.each([
    ['no update_id', { message: { text: 'hi' } }],
    ['a string update_id', { update_id: '10000', message: {} }],
    ['a fractional update_id', { update_id: 1.5, message: {} }],
    ['a negative update_id', { update_id: -1, message: {} }],
  ])('%s is a 400 id.missing after the token passed', async (_title, update) => {
    expect(
      await statusOf(telegram({ secret: TOKEN }), { headers: { [HEADER]: TOKEN }, body: JSON.stringify(update) }),
    ).toEqual({
      status: 400,
      code: 'id.missing',
    })
  })
})

describe('telegram: configuration and signing', () => {
  it.each([
    ['an empty token', ''],
    ['a token under 16 characters', 'short_token_1'],
    ['a token with characters Telegram refuses', 'hookguard token with spaces!'],
    ['a token over 256 characters', 'a1'.repeat(129)],
    ['a placeholder', 'xxxxxxxxxxxxxxxxxxxxxxxx'],
  ])('refuses %s', (_title, secret) => {
    expect(configMessage(() => telegram({ secret }))).toMatch(/^hookguard: telegram: secret/)
  })

  it('refuses a tolerance: Telegram signs nothing', () => {
    expect(configMessage(() => telegram({ secret: TOKEN, tolerance: 60 } as never))).toMatch(/signs no timestamp/)
  })

  it('signRequest sends the token in its header', async () => {
    const signed = await signRequest(telegram({ secret: TOKEN }), { body: UPDATE })
    expect(signed.headers[HEADER]).toBe(TOKEN)
  })
})
