/**
 * Shared checks for the batch-B provider tests (Lemon Squeezy, Razorpay,
 * Coinbase Commerce, WooCommerce, Adyen, HubSpot, Typeform, Calendly,
 * Zendesk, Braintree): header-parsing tables, weak-secret refusals, and
 * what a response may show.
 */
import { createHash, createHmac } from 'node:crypto'
import { expect, it } from 'vitest'
import type { HeadersInput, Provider } from '../../src/index.js'
import { configMessage, handle, statusOf } from './core-support.js'

export type HeaderCase = [title: string, status: number, code: string, headers: HeadersInput]

/** Each case end to end through a receiver; then every 401 body is the same and none shows `secretBits`. */
export function headerTable(provider: () => Provider, body: string, cases: HeaderCase[], secretBits: string[]): void {
  it.each(cases)('answers %s with %i %s', async (_title, status, code, headers) => {
    expect(await statusOf(provider(), { headers, body })).toEqual({ status, code })
  })

  it('keeps every 401 body identical and free of signatures', async () => {
    const unauthorized = cases.filter((c) => c[1] === 401)
    const results = await Promise.all(unauthorized.map(([, , , headers]) => handle(provider(), { headers, body })))
    for (const result of results) {
      expect(result.body).toBe(results[0]!.body)
      for (const bit of secretBits) expect(result.body + JSON.stringify(result.headers)).not.toContain(bit)
    }
  })
}

/** The weak secrets every shared-secret factory refuses. */
export const WEAK_SECRETS: Array<[string, unknown]> = [
  ['an empty string', ''],
  ['whitespace only', '      '],
  ['a trailing newline', 'a-real-looking-secret-42\n'],
  ['a placeholder', 'changeme'],
  ['a repeated character', 'xxxxxxxxxxxxxxxxxxxxxxxx'],
  ['a number', 123456789012345],
  ['an empty list', []],
]

/** `factory(secret)` throws a TypeError naming the provider and never quoting the secret. */
export function refusesWeakSecrets(name: string, factory: (secret: unknown) => unknown, option = 'secret'): void {
  it.each(WEAK_SECRETS)('refuses %s as the secret with a TypeError that does not echo it', (_title, secret) => {
    const message = configMessage(() => factory(secret))
    expect(message).toMatch(new RegExp(`^hookguard: ${name}: ${option}`))
    if (typeof secret === 'string' && secret.trim().length > 3) expect(message).not.toContain(secret.trim())
  })
}

export const hmacHex = (secret: string | Buffer, ...pieces: string[]): string =>
  pieces.reduce((mac, piece) => mac.update(piece), createHmac('sha256', secret)).digest('hex')

export const hmacBase64 = (secret: string | Buffer, ...pieces: string[]): string =>
  pieces.reduce((mac, piece) => mac.update(piece), createHmac('sha256', secret)).digest('base64')

/** The fallback id: `sha256:` + hex SHA-256 of `text`, computed independently of hookguard. */
export const sha256Id = (text: string | Uint8Array): string =>
  `sha256:${createHash('sha256').update(text).digest('hex')}`
