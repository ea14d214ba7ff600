/**
 * The inspector as Express middleware (Express 4 and 5).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { inspect } from '../handler.js'
import type { InspectorOptions } from '../options.js'
import { sendNodeResponse, toFetchRequest } from './bridge.js'

/** The parts of Express's request the mount reads. */
export interface ExpressRequestLike extends IncomingMessage {
  originalUrl?: string
  body?: unknown
}

/**
 * Middleware that answers every request it gets: mount it on its own path.
 * Links are relative, so any mount path works. `authorize` gets Express's
 * `req` (with `req.user` from your session middleware) as its second argument.
 *
 * @example
 * ```ts
 * import { expressInspector } from 'hookguard/inspector'
 *
 * app.use('/_hookguard', requireAdmin, expressInspector({ archive }))
 * ```
 */
export function expressInspector(
  options: InspectorOptions,
): (req: ExpressRequestLike, res: ServerResponse, next: (error?: unknown) => void) => void {
  const handler = inspect(options)
  return function hookguardInspectorExpress(req, res, next) {
    toFetchRequest(req, { ...(req.originalUrl ? { url: req.originalUrl } : {}), parsedBody: req.body })
      .then((request) => handler(request, req))
      .then((response) => sendNodeResponse(res, response))
      .catch(next)
  }
}
