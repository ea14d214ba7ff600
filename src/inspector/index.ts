/**
 * `hookguard/inspector`: the delivery archive as a small web page — a list
 * filterable by outcome, provider, type and code, counts by outcome and by
 * code over time, and a detail view of each delivery (headers redacted,
 * body as text or hex). Read-only by default; a Replay button only with
 * `allowReplay` and an `authorize` hook, behind a same-origin check and a
 * per-page form token. Everything is served from the handler itself under
 * a strict Content-Security-Policy: no CDN, no web fonts, no inline script.
 *
 * One Fetch handler (`inspect`) and thin mounts for node:http, Express, Koa
 * and Hono. Mount it behind your own authentication: it shows payloads.
 *
 * @example
 * ```ts
 * import { expressInspector } from 'hookguard/inspector'
 *
 * app.use('/_hookguard', requireAdmin, expressInspector({
 *   receiver,                       // its archive is shown; it replays
 *   allowReplay: true,
 *   authorize: (request, req) => req.user?.role === 'admin',
 * }))
 * ```
 *
 * @module
 */
export { inspect, type InspectorHandler } from './handler.js'
export type { InspectorAuthorize, InspectorOptions } from './options.js'
export { nodeInspector } from './mounts/node.js'
export { expressInspector, type ExpressRequestLike } from './mounts/express.js'
export { koaInspector, type KoaContextLike } from './mounts/koa.js'
export { honoInspector, type HonoContextLike } from './mounts/hono.js'
