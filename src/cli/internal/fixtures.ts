/**
 * Internal: a fixture filled in for one send — fresh ids and the current
 * time in place of its placeholders, so every send is a new event.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { FIXTURES, NO_FIXTURE, type FixtureFile } from '../fixtures/index.js'
import { closest } from '../../internal/suggest.js'
import { UsageError } from './errors.js'

/** Every fixture, and the providers that have none (listed so `--fixture list` says why). */
export const FIXTURE_NAMES: readonly string[] = [...Object.keys(FIXTURES), ...Object.keys(NO_FIXTURE)].sort()

/** Fixture names without their hyphens (`woocommerce` → `woo-commerce`), as provider names are often spelt. */
const UNHYPHENATED = new Map(FIXTURE_NAMES.map((name) => [name.replace(/-/g, ''), name]))

export interface FilledFixture {
  name: string
  provider: string
  body: Uint8Array
  headers: Record<string, string>
  id?: string
  providerOptions?: Record<string, unknown>
}

interface Context {
  id: string
  uuid: string
  nowMs: number
  number: number
  snowflake: string
}

/** Whole-value placeholders that become JSON numbers. */
function wholeNumber(value: string, context: Context): number | undefined {
  if (value === '{{now}}') return Math.floor(context.nowMs / 1000)
  if (value === '{{nowMs}}') return context.nowMs
  if (value === '{{number}}') return context.number
  return undefined
}

function fillText(text: string, context: Context): string {
  return text.replace(/\{\{(id|ID|uuid|iso|now|nowMs|number|snowflake)\}\}/g, (_, name: string) => {
    if (name === 'id') return context.id
    if (name === 'ID') return context.id.toUpperCase()
    if (name === 'uuid') return context.uuid
    if (name === 'iso') return new Date(context.nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z')
    if (name === 'now') return String(Math.floor(context.nowMs / 1000))
    if (name === 'nowMs') return String(context.nowMs)
    if (name === 'snowflake') return context.snowflake
    return String(context.number)
  })
}

function fillValue(value: unknown, context: Context): unknown {
  if (typeof value === 'string') return wholeNumber(value, context) ?? fillText(value, context)
  if (Array.isArray(value)) return value.map((item) => fillValue(item, context))
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillValue(item, context)]))
  return value
}

/**
 * The fixture called `name`, for listing. A provider without one gets a
 * stand-in whose description says why; {@link fillFixture} refuses it.
 */
export function findFixture(name: string): FixtureFile & { name: string } {
  const exact = Object.hasOwn(FIXTURES, name) || Object.hasOwn(NO_FIXTURE, name)
  const found = exact ? name : UNHYPHENATED.get(name.toLowerCase())
  if (found === undefined) {
    const guess = closest(name, FIXTURE_NAMES)
    throw new UsageError(
      `unknown fixture ${JSON.stringify(name)}${guess ? ` (did you mean ${guess}?)` : ''}; --fixture list shows them`,
    )
  }
  if (Object.hasOwn(NO_FIXTURE, found))
    return { name: found, provider: found, description: `(no fixture) ${NO_FIXTURE[found]}`, body: '' }
  return { ...FIXTURES[found]!, name: found }
}

/** The fixture with fresh values; `id` (from `--id`) replaces the random one. */
export function fillFixture(given: string, options: { id?: string; nowMs: number }): FilledFixture {
  const fixture = findFixture(given)
  const name = fixture.name
  if (Object.hasOwn(NO_FIXTURE, name)) throw new UsageError(`no fixture for ${name}: ${NO_FIXTURE[name]}`)
  const random = randomBytes(12).toString('hex')
  const context: Context = {
    id: options.id ?? random,
    uuid: randomUUID(),
    nowMs: options.nowMs,
    number: 1_000_000_000_000 + (randomBytes(4).readUInt32BE() % 8_000_000_000),
    snowflake: ((BigInt(options.nowMs - 1_420_070_400_000) << 22n) | BigInt(randomBytes(2).readUInt16BE())).toString(),
  }
  const body =
    typeof fixture.body === 'string'
      ? fillText(fixture.body, context)
      : JSON.stringify(fillValue(fixture.body, context))
  const headers: Record<string, string> = {}
  for (const [header, value] of Object.entries(fixture.headers ?? {})) headers[header] = fillText(value, context)
  if (fixture.contentType) headers['content-type'] = fixture.contentType
  return {
    name,
    provider: fixture.provider,
    body: new TextEncoder().encode(body),
    headers,
    ...(options.id !== undefined ? { id: options.id } : fixture.id ? { id: fillText(fixture.id, context) } : {}),
    ...(fixture.providerOptions ? { providerOptions: fixture.providerOptions } : {}),
  }
}
