/**
 * What a provider reads and what must never leak, found from the provider
 * itself: the headers it reads are recorded while it verifies, parses and
 * describes a valid delivery in process, so a provider added to FIXTURES is
 * covered without a list kept by hand.
 */
import type { ProviderFixture } from '../support/providers.js'
import { PAYPAL_TEST } from '../fixtures/paypal/index.js'
import { PLAID_TEST } from '../fixtures/plaid/index.js'
import type { Provider, ProviderRequest } from '../../src/types/index.js'

export interface Delivery {
  headers: Record<string, string>
  body: string | Uint8Array
}

export interface Reads {
  /** Lower-case names of the delivery's headers (Host included) that the provider read. */
  present: string[]
  /** Every name it looked up, present or not (`svix-id` next to `webhook-id`, fallbacks …). */
  looked: Set<string>
}

/**
 * Headers a provider reads whose grammar allows ', ' in one value, so that
 * a Fetch `Headers` object's join of two copies reaches the provider's own
 * parser instead of the 400 header.duplicated of kit/headers.ts. Each entry
 * says what the Fetch adapter answers instead (pinned in
 * test/hardening/repeated-headers.test.ts).
 */
export const JOINABLE: Record<string, readonly string[]> = {
  // `t=…, v1=…`: the SDK allows a space after the comma; a join adds a second t or a junk entry (400 signature.malformed).
  sanity: ['sanity-webhook-signature'],
}

/**
 * Fixtures whose provider reads no header at all (the signature sits in the
 * body), so there is nothing to repeat. test/hardening/repeated-headers.test.ts
 * checks this list against what the providers really read.
 */
export const READS_NO_HEADER: ReadonlySet<string> = new Set(['adyen', 'braintree'])

const utf8 = new TextEncoder()

/** The delivery's headers with lower-case names and the Host a client sends to `url`. */
export function wireHeaders(delivery: Delivery, url: string): Record<string, string> {
  const headers: Record<string, string> = { host: new URL(url).host }
  for (const [name, value] of Object.entries(delivery.headers)) headers[name.toLowerCase()] = value
  return headers
}

/** Runs verify, parse and describe on a valid delivery and records the header names they look up. */
export async function headersRead(provider: Provider, delivery: Delivery, url: string): Promise<Reads> {
  const headers = wireHeaders(delivery, url)
  const looked = new Set<string>()
  let listed = false
  const watched = new Proxy(headers, {
    get(target, name, receiver) {
      if (typeof name === 'string') looked.add(name)
      return Reflect.get(target, name, receiver)
    },
    has(target, name) {
      if (typeof name === 'string') looked.add(name)
      return Reflect.has(target, name)
    },
    ownKeys(target) {
      listed = true
      return Reflect.ownKeys(target)
    },
  })
  const body = typeof delivery.body === 'string' ? utf8.encode(delivery.body) : delivery.body
  const request: ProviderRequest = { method: 'POST', url, headers: watched, body, now: Date.now() }
  const verification = await provider.verify(request)
  const payload = provider.parse ? await provider.parse(request) : JSON.parse(new TextDecoder().decode(body))
  await provider.describe(payload, request, verification)
  // A provider that lists the headers (to sign all of them, say) reads every one.
  const present = Object.keys(headers).filter((name) => listed || looked.has(name))
  return { present, looked }
}

/** Secrets and private keys a fixture is built with, read from its source (and the two fixtures with key files). */
export function secretsOf(fixture: ProviderFixture): string[] {
  const found = new Set<string>()
  const source = fixture.make.toString()
  for (const match of source.matchAll(
    /\b(?:secret|privateKey|password|verifyToken)\s*:\s*(['"`])((?:(?!\1).){6,}?)\1/g,
  )) {
    const value = match[2]!
    found.add(value)
    // The key material itself, as a leak would most likely show it.
    const bare = value.replace(/^(?:whsec_|whsk_)/, '')
    if (bare.length >= 8) found.add(bare)
  }
  if (fixture.name === 'paypal') for (const line of pemLines(PAYPAL_TEST.leafKey)) found.add(line)
  if (fixture.name === 'plaid') for (const line of pemLines(PLAID_TEST.privateKey)) found.add(line)
  return [...found]
}

function pemLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'))
}

/** The signature header values of a delivery and every long piece of them (a MAC inside `t=…,v1=…`). */
export function signatureFragments(provider: Provider, delivery: Delivery): string[] {
  const sensitive = new Set(provider.sensitiveHeaders.map((h) => h.toLowerCase()))
  const out = new Set<string>()
  for (const [name, value] of Object.entries(delivery.headers)) {
    if (!sensitive.has(name.toLowerCase())) continue
    if (value.length >= 12) out.add(value)
    for (const piece of value.split(/[\s,=;:]+/)) if (piece.length >= 16) out.add(piece)
  }
  return [...out]
}

/**
 * Same shape, other value: the first letter or digit changed within its
 * class (hex stays hex, digits stay digits). The first, not the last: the
 * last base64 character of a MAC carries padding bits, and changing it
 * would make the value non-canonical instead of merely wrong.
 */
export function alike(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const swap = swapped(value[i]!)
    if (swap !== undefined) return value.slice(0, i) + swap + value.slice(i + 1)
  }
  return `${value}x`
}

function swapped(c: string): string | undefined {
  if (c === '9') return '0'
  if (c === 'f' || c === 'F') return String.fromCharCode(c.charCodeAt(0) - 5)
  if (/[0-8a-eA-E]/.test(c)) return String.fromCharCode(c.charCodeAt(0) + 1)
  if (/[g-zG-Z]/.test(c)) return String.fromCharCode(c.charCodeAt(0) - 1)
  return undefined
}
