/**
 * The inspector as Koa middleware (Koa 2 and 3).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { inspect } from '../handler.js'
import type { InspectorOptions } from '../options.js'
import { toFetchRequest } from './bridge.js'

/** The parts of Koa's context the mount uses. */
export interface KoaContextLike {
  req: IncomingMessage
  originalUrl: string
  request: { body?: unknown }
  status: number
  body: unknown
  set(name: string, value: string): void
}

/**
 * Middleware that answers every request it gets: route it (with
 * `@koa/router`, `router.all('/_hookguard', …)`) behind your authentication.
 * `authorize` gets Koa's `ctx` as its second argument.
 *
 * @example
 * ```ts
 * import { koaInspector } from 'hookguard/inspector'
 *
 * router.all('/_hookguard', requireAdmin, koaInspector({ archive }))
 * ```
 */
export function koaInspector(
  options: InspectorOptions,
): (ctx: KoaContextLike, next?: () => Promise<unknown>) => Promise<void> {
  const handler = inspect(options)
  return async function hookguardInspectorKoa(ctx) {
    const request = await toFetchRequest(ctx.req, { url: ctx.originalUrl, parsedBody: ctx.request.body })
    const response = await handler(request, ctx)
    ctx.status = response.status
    response.headers.forEach((value, name) => ctx.set(name, value))
    // An empty Buffer, not null: Koa turns a null body into 204 and would lose a 303.
    ctx.body = Buffer.from(await response.arrayBuffer())
  }
}
