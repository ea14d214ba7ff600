/**
 * Failures on the framework's own error path, for users who want them there.
 *
 * @module
 */
import { ERROR_CODES, HookguardError, type HookguardErrorCode } from '../errors.js'
import type { HandleResult } from '../types/index.js'

/**
 * The result as a HookguardError, for adapters whose users want failures on
 * the framework's error path (`next(err)`, a thrown Koa error, Hono's
 * HTTPException). Carries `status`, `statusCode`, `expose` and the response
 * headers that matter (`Retry-After`, `Allow`, and `Connection: close`
 * when request bytes were left unread).
 */
export function resultToError(result: HandleResult, unread = false): HookguardError {
  const outcome = result.outcome
  let code: HookguardErrorCode = 'handler.failed'
  if (outcome.kind === 'in_flight') code = 'event.in_flight'
  else if ((outcome.kind === 'rejected' || outcome.kind === 'unavailable') && outcome.code in ERROR_CODES)
    code = outcome.code as HookguardErrorCode
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(result.headers)) {
    if (name !== 'content-type' && name !== 'content-length') headers[name] = value
  }
  // Error handlers (Koa's onerror) reset headers and then apply these: keep the close.
  if (unread) headers.connection = 'close'
  return new HookguardError(code, {
    reason: outcome.kind === 'rejected' || outcome.kind === 'unavailable' ? outcome.reason : undefined,
    headers,
  })
}
