/**
 * Valid vs forged deliveries of 1 MiB for every provider: a forged body must
 * cost no more than about one MAC pass before it is refused, so its verify
 * time is compared with that of a valid delivery of the same size. Forged
 * bodies are the worst case for each scheme: a flipped byte where the MAC
 * covers the raw body; 1 MiB of `a=b&` pairs for Twilio (which signs parsed
 * form parameters); a huge JSON object before the signature member for
 * Mailgun (which carries its signature in the unsigned body).
 *
 * Runs the providers from the shared test fixtures (TypeScript sources), so
 * every provider added there is measured; each row compares one provider
 * with itself.
 */
import { createHmac } from 'node:crypto'
import type { Provider, ProviderRequest } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { FIXTURES, type ProviderFixture } from '../../test/support/providers.js'
import { runCases, type BenchOptions } from './harness.js'

const MIB = 1024 * 1024

/** The fixture's body for `id`, padded to about 1 MiB in a way the provider still accepts. */
function largeBody(fixture: ProviderFixture): string {
  const body = fixture.body('evt_bench_1')
  if (!body.startsWith('{') && !body.startsWith('[')) return `${body}&Body=${'a'.repeat(MIB - body.length - 6)}`
  const parsed = JSON.parse(body) as Record<string, unknown> | unknown[]
  // Trello has a second signed form for non-ASCII bodies, which makes them its worst case (valid and forged).
  const pad = (fixture.name === 'trello' ? 'é' : '') + 'x'.repeat(MIB - body.length - 20)
  if (Array.isArray(parsed)) return JSON.stringify([...parsed, { event: 'processed', pad }])
  return JSON.stringify({ ...parsed, pad })
}

/** A forged delivery of the same size: the worst case for the scheme, with a signature that does not verify. */
function forgedBody(fixture: ProviderFixture, valid: string): string {
  if (fixture.name === 'twilio') return 'a=b&'.repeat(MIB / 4)
  if (fixture.name === 'mailgun') {
    const signature = JSON.stringify(JSON.parse(valid).signature).replace(
      /"signature":"([0-9a-f])/,
      (_match, digit: string) => `"signature":"${digit === '0' ? '1' : '0'}`,
    )
    const members = Array.from({ length: MIB / 16 }, (_, i) => `"k${i}":[1,{}]`).join(',')
    return `{${members},"signature":${signature}}`
  }
  // Flip one byte in the middle: the MAC over the raw body no longer matches.
  const middle = valid.length >> 1
  return valid.slice(0, middle) + (valid[middle] === 'x' ? 'y' : 'x') + valid.slice(middle + 1)
}

function requestOf(headers: Record<string, string>, body: string, url: string | undefined, now: number) {
  return {
    method: 'POST',
    url: url ?? '/hooks',
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    body: new TextEncoder().encode(body),
    now,
  } satisfies ProviderRequest
}

async function passes(provider: Provider, request: ProviderRequest): Promise<boolean> {
  try {
    await provider.verify(request)
    return true
  } catch {
    return false
  }
}

async function settle(provider: Provider, request: ProviderRequest, shouldPass: boolean): Promise<void> {
  let passed = true
  try {
    await provider.verify(request)
  } catch {
    passed = false
  }
  if (passed !== shouldPass)
    throw new Error(
      `${provider.name}: ${shouldPass ? 'valid' : 'forged'} delivery was ${passed ? 'accepted' : 'refused'}`,
    )
}

export interface ForgedRow {
  provider: string
  valid: number
  forged: number
  /** One bare HMAC-SHA256 pass over the same 1 MiB, measured in the same rounds: the yardstick. */
  macPass: number
}

/** ops/s of verify for a valid and a forged 1 MiB delivery, per provider. */
export async function forgedRows(options: BenchOptions, only?: readonly string[]): Promise<ForgedRow[]> {
  const rows: ForgedRow[] = []
  for (const fixture of FIXTURES) {
    if (only && !only.includes(fixture.name)) continue
    const now = fixture.name === 'paypal' ? Date.UTC(2027, 0, 1) : Date.now()
    const provider = fixture.make()
    const body = largeBody(fixture)
    const signed = await signRequest(provider, {
      body,
      timestamp: Math.floor(now / 1000),
      url: fixture.url,
      now: () => now,
    })
    const signedBody = typeof signed.body === 'string' ? signed.body : new TextDecoder().decode(signed.body)
    const valid = requestOf(signed.headers, signedBody, signed.url ?? fixture.url, now)
    // The worst-case body first; where the scheme does not read those bytes (GitLab's token, fields-only
    // schemes), a corrupted signature header instead.
    const corrupted = Object.fromEntries(
      Object.entries(signed.headers).map(([k, v]) => [
        k,
        provider.sensitiveHeaders.includes(k.toLowerCase()) ? `${v}x` : v,
      ]),
    )
    const candidates = [
      requestOf(signed.headers, forgedBody(fixture, signedBody), signed.url ?? fixture.url, now),
      requestOf(corrupted, signedBody, signed.url ?? fixture.url, now),
    ]
    let forged: ProviderRequest | undefined
    for (const candidate of candidates) if (!forged && !(await passes(provider, candidate))) forged = candidate
    if (!forged) {
      process.stderr.write(`skipped ${fixture.name}: no forgery of its own scheme found\n`)
      continue
    }
    await settle(provider, valid, true)
    await settle(provider, forged, false)
    const ops = await runCases(
      {
        valid: () => settle(provider, valid, true),
        forged: () => settle(provider, forged, false),
        macPass: () => createHmac('sha256', 'bench-key-0123456789').update(forged.body).digest(),
      },
      options,
    )
    rows.push({ provider: fixture.name, valid: ops.valid!, forged: ops.forged!, macPass: ops.macPass! })
    process.stderr.write(`measured ${fixture.name} 1 MiB valid/forged\n`)
  }
  return rows
}
