/**
 * Internal: argument parsing on node:util.parseArgs, with one-line errors
 * (exit 2) and typed readers for numbers and times.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import { closest } from '../../internal/suggest.js'
import { UsageError } from './errors.js'

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
}
export type OptionSpecs = Record<string, OptionSpec>
export type Values = Record<string, string | boolean | string[] | undefined>

export interface Parsed {
  values: Values
  positionals: string[]
}

/** Options every command takes. */
export const COMMON_OPTIONS: OptionSpecs = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

function unknownOption(message: string, specs: OptionSpecs): string {
  const name = /'(-{1,2}[^'\s]*)'/.exec(message)?.[1] ?? ''
  const bare = name.replace(/^-+/, '').replace(/=.*$/, '')
  const guess = bare ? closest(bare, Object.keys(specs)) : undefined
  return `unknown option ${name}${guess ? ` (did you mean --${guess}?)` : ''}`
}

/** Parses `argv` against `specs`; any mistake is a UsageError naming the option. */
export function parseCommandArgs(specs: OptionSpecs, argv: readonly string[]): Parsed {
  const options = { ...specs, ...COMMON_OPTIONS }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
    return { values: values as Values, positionals }
  } catch (error) {
    const code = (error as { code?: string }).code
    const message = (error as Error).message
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(unknownOption(message, options))
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const name = /--[a-z][\w-]*/.exec(message)?.[0] ?? 'an option'
      throw new UsageError(/does not take/.test(message) ? `${name} takes no value` : `${name} needs a value`)
    }
    throw new UsageError(message.split('\n')[0]!)
  }
}

/** A string option, or undefined; an empty value is refused. */
export function stringValue(values: Values, name: string): string | undefined {
  const value = values[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') return String(value)
  if (value === '') throw new UsageError(`--${name} needs a non-empty value`)
  return value
}

export function listValue(values: Values, name: string): string[] {
  const value = values[name]
  if (value === undefined) return []
  return Array.isArray(value) ? value : [String(value)]
}

/** A whole number option within [min, max]. */
export function integerValue(values: Values, name: string, min: number, max: number): number | undefined {
  const text = stringValue(values, name)
  if (text === undefined) return undefined
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number (got ${JSON.stringify(text)})`)
  const value = Number(text)
  if (value < min || value > max) throw new UsageError(`--${name} must be from ${min} to ${max} (got ${text})`)
  return value
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/**
 * A point in time: ms since the epoch (digits), an ISO 8601 date, or a
 * duration ago (`90s`, `15m`, `2h`, `7d`, `1w`).
 */
export function timeValue(values: Values, name: string, now: number): number | undefined {
  const text = stringValue(values, name)
  if (text === undefined) return undefined
  if (/^\d+$/.test(text)) return Number(text)
  const ago = /^(\d+)(ms|s|m|h|d|w)$/.exec(text)
  if (ago) return now - Number(ago[1]) * UNITS[ago[2]!]!
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : NaN
  if (Number.isFinite(parsed)) return parsed
  throw new UsageError(
    `--${name} must be ms since the epoch, an ISO date (2026-01-31T12:00:00Z) or a duration ago (15m, 2h, 7d); got ${JSON.stringify(text)}`,
  )
}

/** Exactly `count` positionals (or between `count` and `max`), else a usage error naming `what`. */
export function positionals(parsed: Parsed, what: readonly string[], optional = 0): string[] {
  const { positionals: given } = parsed
  const min = what.length - optional
  if (given.length < min) throw new UsageError(`missing ${what[given.length]}`)
  if (given.length > what.length) throw new UsageError(`unexpected argument ${JSON.stringify(given[what.length])}`)
  return given
}
