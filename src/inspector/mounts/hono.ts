/**
 * The inspector as a Hono handler.
 *
 * @module
 */
import { inspect } from '../handler.js'
import type { InspectorOptions } from '../options.js'

/** The part of Hono's context the mount uses. */
export interface HonoContextLike {
  req: { raw: Request }
}

/**
 * A handler for `app.all(path, …)`; `authorize` gets Hono's `c` as its
 * second argument.
 *
 * @example
 * ```ts
 * import { honoInspector } from 'hookguard/inspector'
 *
 * app.all('/_hookguard', requireAdmin, honoInspector({ archive }))
 * ```
 */
export function honoInspector(options: InspectorOptions): (c: HonoContextLike) => Promise<Response> {
  const handler = inspect(options)
  return function hookguardInspectorHono(c) {
    return handler(c.req.raw, c)
  }
}
