/**
 * Internal: "did you mean …?" for option names, so a typo (`handlr`,
 * `toleranceSeconds`) is an error that names the fix instead of an option
 * silently ignored.
 *
 * @module
 */
import { configError } from '../errors.js'

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!
      row[j] = Math.min(
        above + 1,
        row[j - 1]! + 1,
        diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      )
      diagonal = above
    }
  }
  return row[b.length]!
}

function commonPrefix(a: string, b: string): number {
  let n = 0
  while (n < a.length && n < b.length && a[n]!.toLowerCase() === b[n]!.toLowerCase()) n++
  return n
}

/** The known name closest to `name`, when it is close enough to be a typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = distance(name, candidate)
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
    if (candidate.length > 3 && name.toLowerCase().startsWith(candidate.toLowerCase())) return candidate
  }
  if (bestDistance <= Math.max(2, Math.floor(name.length / 3))) return best
  // Same stem, other ending (`maxBodySize` for `maxBodyBytes`).
  let stem: string | undefined
  let stemLength = Math.max(4, Math.ceil(name.length / 2)) - 1
  for (const candidate of known) {
    const shared = commonPrefix(name, candidate)
    if (shared > stemLength) [stem, stemLength] = [candidate, shared]
  }
  return stem
}

/** Throws for an option name that `known` does not list, suggesting the closest one. */
export function refuseUnknownOptions(
  where: string,
  options: object,
  known: readonly string[],
  hints: Record<string, string> = {},
): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue
    const hint = hints[name]
    const guess = hint === undefined ? closest(name, known) : undefined
    throw configError(
      `${where}: unknown option '${name}'` +
        (hint !== undefined ? ` — ${hint}` : guess !== undefined ? ` — did you mean '${guess}'?` : '') +
        ` (options: ${known.join(', ')})`,
    )
  }
}
