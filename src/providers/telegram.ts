/**
 * Telegram Bot API webhooks: the `secret_token` given to `setWebhook`
 * arrives as-is in `X-Telegram-Bot-Api-Secret-Token` and is compared in
 * constant time with the configured one.
 *
 * What it protects, and what not: the token proves the request was sent by
 * whoever knows the token (Telegram, or anyone who saw one request), not
 * that the body is Telegram's. Nothing is signed, no timestamp is sent, and
 * the token travels in the clear inside every request: serve the endpoint
 * over HTTPS only, keep the token out of logs (it is redacted from events),
 * and rotate it with `setWebhook` if it leaks. No fingerprint is possible
 * (there is no MAC over the content); the dedupe store is the only replay
 * protection.
 *
 * - Id: the update's `update_id` (Telegram resends an update with the same
 *   id until it gets a 2xx). Type: the update's kind (`message`,
 *   `callback_query`, `my_chat_member` …).
 * - The token may hold only `A-Z a-z 0-9 _ -` (Telegram's rule, up to 256
 *   characters); hookguard asks for at least 16.
 *
 * @module
 */
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { parseJson, record } from './kit/body.js'
import { invalidSignature } from './kit/fail.js'
import { requireSignatureHeader } from './kit/headers.js'
import { openProvider, type UntimedProviderOptions } from './kit/setup.js'
import { tokenMatcher } from './kit/token.js'

/** Options of {@link telegram}. `secret` is the `secret_token` passed to `setWebhook`. */
export type TelegramOptions = UntimedProviderOptions

/** The payload type of {@link telegram}: an Update (one optional field per kind). */
export interface TelegramUpdate {
  update_id: number
  [kind: string]: unknown
}

const HEADER = 'x-telegram-bot-api-secret-token'
const TOKEN_RE = /^[A-Za-z0-9_-]{1,256}$/

function decodeToken(token: string): Uint8Array {
  if (!TOKEN_RE.test(token))
    throw new Error('may hold only A-Z, a-z, 0-9, _ and - (up to 256 characters), as Telegram requires')
  return new TextEncoder().encode(token)
}

function describeUpdate(payload: unknown) {
  const update = record(payload)
  const updateId = update?.update_id
  const id =
    typeof updateId === 'number' && Number.isSafeInteger(updateId) && updateId >= 0 ? String(updateId) : undefined
  const type = update ? Object.keys(update).find((key) => key !== 'update_id') : undefined
  return { id, type }
}

/**
 * Telegram bots (webhook mode).
 *
 * @example
 * ```ts
 * // await bot.api.setWebhook(url, { secret_token: process.env.TELEGRAM_SECRET_TOKEN })
 * const provider = telegram({ secret: process.env.TELEGRAM_SECRET_TOKEN! })
 * ```
 */
export function telegram(options: TelegramOptions): Provider<TelegramUpdate> {
  const name = 'telegram'
  const opened = openProvider(name, options, { untimed: 'Telegram', secret: { decode: decodeToken } })
  const tokenMatches = tokenMatcher(opened.backend)

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: [HEADER],
    async verify(request) {
      const token = requireSignatureHeader(request, HEADER)
      if (!(await tokenMatches(await opened.keys.forRequest(request), token)))
        throw invalidSignature(`${HEADER} does not match`)
      return {}
    },
    parse: (request) => parseJson(request.body),
    describe: (payload) => describeUpdate(payload),
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const headers = { 'content-type': 'application/json', ...sign.headers }
      return { headers: { ...headers, [HEADER]: new TextDecoder().decode(key!) }, body: sign.body }
    },
  }
}
