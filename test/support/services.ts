/**
 * Service-backed suites run only when their URL is set (as .ci/run sets
 * them). Unset, they are skipped with a visible message so a newcomer's
 * `npm test` passes; set, an unreachable service fails the suite.
 */
import { describe } from 'vitest'

export const REDIS_URL = process.env.REDIS_URL
export const DATABASE_URL = process.env.DATABASE_URL

const announced = new Set<string>()

function gate(variable: 'REDIS_URL' | 'DATABASE_URL', value: string | undefined) {
  return (title: string, body: () => void): void => {
    if (value) {
      describe(title, body)
      return
    }
    if (!announced.has(title)) {
      announced.add(title)
      console.warn(`[hookguard tests] skipping "${title}": set ${variable} to run it (bash .ci/run does)`)
    }
    describe.skip(`${title} (skipped: ${variable} not set)`, body)
  }
}

/** `describe` that needs a real Redis at REDIS_URL. */
export const describeWithRedis = gate('REDIS_URL', REDIS_URL)
/** `describe` that needs a real PostgreSQL at DATABASE_URL. */
export const describeWithPostgres = gate('DATABASE_URL', DATABASE_URL)
