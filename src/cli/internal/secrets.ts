/**
 * Internal: reading secrets and keys given on the command line, as
 * `env:NAME` (recommended: nothing in the shell history or `ps`),
 * `file:PATH`, or the value itself. Messages name the source, never the value.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { UsageError } from './errors.js'

export interface SecretValue {
  value: string
  /** The environment variable it came from, for `${NAME}` in printed commands. */
  env?: string
}

export function readSecret(
  flag: string,
  given: string,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): SecretValue {
  if (given.startsWith('env:')) {
    const name = given.slice(4)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UsageError(`--${flag} env:NAME needs a variable name (got env:${name})`)
    const value = env[name]
    if (value === undefined || value === '') throw new UsageError(`--${flag} env:${name}: ${name} is not set`)
    return { value, env: name }
  }
  if (given.startsWith('file:')) {
    const path = resolve(cwd, given.slice(5))
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      throw new UsageError(`--${flag} file:${given.slice(5)}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`)
    }
    // One trailing newline is how editors save files; the secret is what comes before it.
    return { value: text.replace(/\r?\n$/, '') }
  }
  return { value: given }
}
