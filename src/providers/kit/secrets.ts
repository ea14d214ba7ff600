/**
 * Turning secret strings into key bytes, with the checks that refuse empty,
 * padded, placeholder and too-short secrets. Messages never include the
 * secret itself.
 *
 * @module
 */
import { configError } from '../../errors.js'

const WEAK_SECRETS = new Set(['undefined', 'null', 'secret', 'changeme', 'password', 'test', 'xxx', 'todo'])

export interface SecretRules {
  /** Minimum length in bytes after decoding. Default 16. */
  minBytes?: number
  /** Turns one secret string into key bytes; throws an Error whose message says what is wrong. */
  decode?: (secret: string) => Uint8Array
  /** 'publicKey' for public keys: no weak-secret checks, only `decode`. Default 'secret'. */
  kind?: 'secret' | 'publicKey'
  /** The option's name in messages. Default 'secret' (or 'publicKey'). */
  option?: string
}

/** At most this many secrets may be active at once (a rotation needs two). */
export const MAX_SECRETS = 16

const utf8 = new TextEncoder()

function decodeOne(provider: string, where: string, item: unknown, rules: SecretRules): Uint8Array {
  if (typeof item !== 'string') throw configError(`${provider}: ${where} must be a string`)
  if (rules.kind !== 'publicKey') {
    if (item.trim() === '') throw configError(`${provider}: ${where} is empty`)
    if (item !== item.trim())
      throw configError(`${provider}: ${where} has leading or trailing whitespace (check how it is loaded)`)
    if (WEAK_SECRETS.has(item.toLowerCase()) || /^(.)\1*$/.test(item))
      throw configError(`${provider}: ${where} is a placeholder, not a real secret`)
  }
  let bytes: Uint8Array
  try {
    bytes = rules.decode ? rules.decode(item) : utf8.encode(item)
  } catch (error) {
    throw configError(`${provider}: ${where} ${(error as Error).message}`)
  }
  const minBytes = rules.minBytes ?? 16
  if (bytes.length < minBytes)
    throw configError(`${provider}: ${where} is too short (${bytes.length} bytes; at least ${minBytes} required)`)
  return bytes
}

/**
 * Normalises `secret` (one string or a rotation list) into key bytes.
 * Throws a TypeError that names the fix and never quotes the secret.
 */
export function decodeSecrets(provider: string, secret: unknown, rules: SecretRules = {}): Uint8Array[] {
  const option = rules.option ?? (rules.kind === 'publicKey' ? 'publicKey' : 'secret')
  const list = typeof secret === 'string' ? [secret] : Array.isArray(secret) ? (secret as unknown[]) : undefined
  if (!list) {
    const got = secret === undefined ? 'undefined' : typeof secret
    // The usual cause: process.env.SOMETHING_SECRET is not set where the app runs.
    const hint = secret === undefined || secret === null ? ' — is the environment variable that holds it set?' : ''
    throw configError(`${provider}: ${option} must be a string, an array of strings or a function (got ${got})${hint}`)
  }
  if (list.length === 0) throw configError(`${provider}: ${option} list is empty`)
  if (list.length > MAX_SECRETS)
    throw configError(`${provider}: at most ${MAX_SECRETS} ${option}s may be active at once`)
  return list.map((item, index) => decodeOne(provider, list.length > 1 ? `${option}[${index}]` : option, item, rules))
}
