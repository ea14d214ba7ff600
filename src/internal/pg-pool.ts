/**
 * Internal: keep a pg Pool's idle-connection errors from killing the process.
 *
 * pg emits `error` on the Pool when an idle client's connection fails (the
 * server restarted, a proxy closed it). An EventEmitter with no `error`
 * listener throws, so an app that hands hookguard a pool and never called
 * `pool.on('error', …)` would exit on the first database restart. The pool
 * itself recovers (the next query opens a new connection), so a log line is
 * the right answer. A listener the app already attached takes precedence.
 *
 * @module
 */
import { errorText } from './log.js'
import type { Logger } from '../types/index.js'

interface ErrorEmitter {
  on(event: 'error', listener: (error: unknown) => void): unknown
  listenerCount(event: 'error'): number
}

const guarded = new WeakSet<object>()

function isEmitter(value: unknown): value is ErrorEmitter {
  const v = value as Partial<ErrorEmitter> | null
  return typeof v?.on === 'function' && typeof v.listenerCount === 'function'
}

/** Adds a logging `error` listener to `pool` unless it has one; once per pool. */
export function guardIdleErrors(pool: unknown, logger: Logger, where: string): void {
  if (!isEmitter(pool) || guarded.has(pool)) return
  guarded.add(pool)
  if (pool.listenerCount('error') > 0) return
  pool.on('error', (error) =>
    logger.warn(
      { component: where, error: errorText(error) },
      "a pooled PostgreSQL connection failed while idle; the pool opens a new one on the next query (pool.on('error', …) to handle it yourself)",
    ),
  )
}
