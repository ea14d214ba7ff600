/**
 * Provider names become part of dedupe keys.
 *
 * @module
 */
import { configError } from '../../errors.js'

/** Throws at construction when `name` is not usable in dedupe keys. */
export function checkProviderName(name: unknown): string {
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name))
    throw configError(`provider name must match [a-z0-9][a-z0-9_-]* (got ${JSON.stringify(name)})`)
  return name
}
