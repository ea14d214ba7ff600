/**
 * Internal: worker hooks. A queue's hooks come from its constructor and from
 * `process(handler, hooks)`; every set fires, and a hook that throws never
 * breaks the worker.
 *
 * @module
 */
import { configError } from '../../errors.js'
import { callHook, errorText } from '../../internal/log.js'
import type { Logger, WebhookEvent, WorkerHooks } from '../../types/index.js'

const NAMES = ['onSuccess', 'onRetry', 'onDeadLetter'] as const

/** Picks and checks the three hooks from an options object (`undefined` is no hooks). */
export function checkHooks(where: string, hooks: WorkerHooks | undefined): WorkerHooks {
  if (hooks === undefined) return {}
  if (hooks === null || typeof hooks !== 'object') throw configError(`${where}: hooks must be an object of functions`)
  const picked: WorkerHooks = {}
  for (const name of NAMES) {
    const hook = hooks[name]
    if (hook === undefined) continue
    if (typeof hook !== 'function') throw configError(`${where}: ${name} must be a function`)
    picked[name] = hook as never
  }
  return picked
}

/** What a worker calls as it runs handlers: every registered set, in order. */
export interface HookSet {
  success(event: WebhookEvent): void
  retry(event: WebhookEvent, error: unknown, delayMs: number): void
  /** Calls every `onDeadLetter`; with none registered, logs one warning so a dead letter is never silent. */
  dead(event: WebhookEvent, error: unknown): void
}

/** Combines hook sets (the queue's own first, then those given to `process`). */
export function combineHooks(where: string, logger: Logger, ...sets: WorkerHooks[]): HookSet {
  const watchesDead = sets.some((set) => set.onDeadLetter !== undefined)
  return {
    success(event) {
      for (const set of sets) callHook(set.onSuccess, event)
    },
    retry(event, error, delayMs) {
      for (const set of sets) callHook(set.onRetry, event, error, delayMs)
    },
    dead(event, error) {
      for (const set of sets) callHook(set.onDeadLetter, event, error)
      if (watchesDead) return
      logger.warn(
        { queue: where, key: event.key, attempt: event.attempt, error: errorText(error) },
        'event dead-lettered after its last attempt; see deadLetters(), retryDead(key)',
      )
    },
  }
}
