/**
 * Internal: what `sign` and `send` share — the body (a file, standard input
 * or a fixture), the provider, and the signed request.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { signRequest } from '../../testing.js'
import type { SignOptions } from '../../types/index.js'
import { integerValue, listValue, stringValue, type OptionSpecs, type Values } from './args.js'
import { UsageError } from './errors.js'
import { fillFixture, type FilledFixture } from './fixtures.js'
import { readAll, type CliIo } from './io.js'
import { buildProvider, type BuiltProvider } from './providers.js'

export const DELIVERY_OPTIONS: OptionSpecs = {
  body: { type: 'string', short: 'b' },
  fixture: { type: 'string', short: 'f' },
  id: { type: 'string' },
  timestamp: { type: 'string' },
  header: { type: 'string', short: 'H', multiple: true },
}

export const DELIVERY_HELP = `Body:
  -b, --body FILE          the raw body to sign, exactly as sent ('-' reads standard input)
  -f, --fixture NAME       a sample delivery instead (--fixture list shows them); implies --provider
      --id ID              event or message id, for schemes that sign or send one
      --timestamp SECONDS  signing time (default: now)
  -H, --header 'N: V'      extra header to send and sign with (repeatable)`

export type BodySource = { kind: 'file'; path: string } | { kind: 'stdin' } | { kind: 'fixture'; name: string }

export interface SignedDelivery {
  built: BuiltProvider
  source: BodySource
  fixture?: FilledFixture
  /** The body before signing (some schemes add to it: Mailgun, Linear). */
  original: Uint8Array
  url: string
  headers: Record<string, string>
  body: Uint8Array
}

function parseHeaders(values: Values): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const item of listValue(values, 'header')) {
    const colon = item.indexOf(':')
    const name = item.slice(0, colon).trim().toLowerCase()
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name))
      throw new UsageError(`--header takes 'Name: value' (got ${JSON.stringify(item)})`)
    headers[name] = item.slice(colon + 1).trim()
  }
  return headers
}

async function readBody(values: Values, io: CliIo): Promise<{ bytes: Uint8Array; source: BodySource }> {
  const file = stringValue(values, 'body')
  if (file === '-') return { bytes: await readAll(io.stdin), source: { kind: 'stdin' } }
  if (file === undefined)
    throw new UsageError('give the body: --body FILE, --body - (standard input) or --fixture NAME')
  try {
    return { bytes: new Uint8Array(readFileSync(resolve(io.cwd, file))), source: { kind: 'file', path: file } }
  } catch (error) {
    throw new UsageError(`--body ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`)
  }
}

/** Signs the delivery the flags describe, for `url`. */
export async function signDelivery(values: Values, io: CliIo, url: string, nowMs: number): Promise<SignedDelivery> {
  const fixtureName = stringValue(values, 'fixture')
  if (fixtureName !== undefined && values.body !== undefined) throw new UsageError('give --body or --fixture, not both')
  const id = stringValue(values, 'id')
  const timestamp = integerValue(values, 'timestamp', 0, 253_402_300_799)
  const fixture = fixtureName === undefined ? undefined : fillFixture(fixtureName, { nowMs, ...(id ? { id } : {}) })
  if (fixture && values.provider !== undefined && values.provider !== fixture.provider)
    throw new UsageError(
      `fixture ${fixture.name} is a ${fixture.provider} delivery; drop --provider or pick its fixture`,
    )
  const { bytes, source } = fixture
    ? { bytes: fixture.body, source: { kind: 'fixture', name: fixture.name } as const }
    : await readBody(values, io)
  const built = buildProvider(values, io, {
    signing: true,
    ...(fixture ? { fallbackName: fixture.provider, defaults: fixture.providerOptions } : {}),
  })
  const sign: SignOptions = {
    body: bytes,
    url,
    headers: { ...fixture?.headers, ...parseHeaders(values) },
    ...((id ?? fixture?.id) ? { id: (id ?? fixture?.id)! } : {}),
    ...(timestamp !== undefined ? { timestamp } : { now: () => nowMs }),
  }
  let signed
  try {
    signed = await signRequest(built.provider, sign)
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message.replace(/^hookguard: /, ''))
    throw error
  }
  const body = typeof signed.body === 'string' ? new TextEncoder().encode(signed.body) : signed.body
  return {
    built,
    source,
    ...(fixture ? { fixture } : {}),
    original: bytes,
    url: signed.url ?? url,
    headers: signed.headers,
    body,
  }
}

/** A header value with every secret read from the flags hidden (GitLab sends its token as a header). */
export function hideSecrets(
  value: string,
  secrets: BuiltProvider['secrets'],
  hidden: (secret: BuiltProvider['secrets'][number]) => string,
): { text: string; hid: boolean } {
  let text = value
  let hid = false
  for (const secret of secrets) {
    if (secret.value.length < 4 || !text.includes(secret.value)) continue
    text = text.split(secret.value).join(hidden(secret))
    hid = true
  }
  return { text, hid }
}
