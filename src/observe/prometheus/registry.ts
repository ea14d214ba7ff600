/**
 * Internal: get-or-create a metric in a prom-client registry. Two receivers
 * (or a receiver and a worker) on one registry share one set of metrics
 * instead of failing with "already registered"; a metric of that name
 * with another type or other labels is a configuration error.
 *
 * @module
 */
import type { Registry } from 'prom-client'
import { configError } from '../../errors.js'

/** What a prom-client metric exposes that the reuse check reads. */
interface Registered {
  type?: string
  labelNames?: readonly string[]
}

export function sameLabels(a: readonly string[] = [], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',')
}

/**
 * The metric named `name` in `register`, created by `make` when absent.
 * `make` registers it (prom-client registers in the constructor).
 */
export function reuseOrCreate<M>(
  where: string,
  register: Registry,
  name: string,
  wanted: { type: 'counter' | 'gauge' | 'histogram'; labelNames: readonly string[] },
  make: () => M,
): M {
  const existing = register.getSingleMetric(name) as (Registered & M) | undefined
  if (!existing) return make()
  if (existing.type !== wanted.type || !sameLabels(existing.labelNames, wanted.labelNames)) {
    throw configError(
      `${where}: the registry already has a metric '${name}' of another type or with other labels; ` +
        'pass prefix (or another register) to keep hookguard’s metrics apart',
    )
  }
  return existing
}
