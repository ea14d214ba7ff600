/**
 * The settings every HTTP benchmark reads from the environment, checked once:
 * a misspelt framework or server kind stops the run with the names it takes
 * instead of failing later inside a child process.
 */
import { FRAMEWORKS, type FrameworkName } from './apps/index.js'
import { SERVER_LABELS, type ServerKind } from './apps/types.js'

/** The deliveries of every HTTP benchmark: 1 KiB GitHub `push` bodies. */
export const BODY_BYTES = 1024

function listFromEnv<T extends string>(variable: string, allowed: readonly string[], fallback: readonly T[]): T[] {
  const raw = process.env[variable]
  if (raw === undefined || raw.trim() === '') return [...fallback]
  const names = raw.split(',').map((name) => name.trim())
  const unknown = names.filter((name) => !allowed.includes(name))
  if (unknown.length > 0) throw new Error(`bench: ${variable} takes ${allowed.join(', ')} (got ${unknown.join(', ')})`)
  return names as T[]
}

/** `BENCH_FRAMEWORKS=node,koa`, or `fallback` (every framework by default). */
export function frameworksFromEnv(
  fallback: readonly FrameworkName[] = Object.keys(FRAMEWORKS) as FrameworkName[],
): FrameworkName[] {
  return listFromEnv('BENCH_FRAMEWORKS', Object.keys(FRAMEWORKS), fallback)
}

/** Server kinds from `variable` (e.g. `BENCH_KINDS=inline,hookguard`), or `fallback`. */
export function kindsFromEnv(variable: string, fallback: readonly ServerKind[]): ServerKind[] {
  return listFromEnv(variable, Object.keys(SERVER_LABELS), fallback)
}
