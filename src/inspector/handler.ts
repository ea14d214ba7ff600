/**
 * `inspect()`: the archive as a small web page, served by one Fetch-style
 * handler `(Request) => Promise<Response>` that any framework can mount.
 * Every route lives in the query string (`?id=…`, `?asset=app.js`), and
 * every link is relative, so the page works under whatever path it is
 * mounted at.
 *
 * @module
 */
import { concatBytes, toArrayBuffer } from '../crypto.js'
import { isHookguardError } from '../errors.js'
import { errorText } from '../internal/log.js'
import type { DeliveryRecord } from '../types/index.js'
import { SCRIPT } from './internal/assets.js'
import { formTokens, nonce, sameOrigin, securityHeaders, type FormTokens } from './internal/guard.js'
import { markup, pageUrl, type Html } from './internal/html.js'
import { resolveOptions, type InspectorOptions, type ResolvedInspector } from './options.js'
import { detailView, notReplayable } from './views/detail.js'
import { page } from './views/layout.js'
import { listView, RANGES, type ListFilters, type RangeKey } from './views/list.js'
import type { Bucket } from './views/chart.js'

/** The inspector: a Fetch handler. `native` is the framework's own request, passed on to `authorize`. */
export type InspectorHandler = (request: Request, native?: unknown) => Promise<Response>

interface State {
  config: ResolvedInspector
  tokens: FormTokens
}

const MAX_FORM_BYTES = 8 * 1024
const MAX_PARAM = 1024

function textResponse(status: number, text: string, extra: Record<string, string> = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', ...securityHeaders(undefined), ...extra },
  })
}

function htmlResponse(state: State, status: number, heading: string, build: (pageNonce: string) => Html): Response {
  const pageNonce = nonce()
  const { title, allowReplay } = state.config
  const body = page({ title, nonce: pageNonce, allowReplay }, heading, build(pageNonce))
  return new Response(body, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...securityHeaders(pageNonce) },
  })
}

function param(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name)
  return value === null || value === '' ? undefined : value.slice(0, MAX_PARAM)
}

function hostAllowed(hosts: ReadonlySet<string> | undefined, url: URL): boolean {
  return !hosts || hosts.has(url.host.toLowerCase()) || hosts.has(url.hostname.toLowerCase())
}

async function bucketsOf(state: State, range: RangeKey) {
  const { stepMs, buckets } = RANGES[range]
  const end = Math.ceil((state.config.now() + 1) / stepMs) * stepMs
  const spans = Array.from({ length: buckets }, (_, i) => ({
    from: end - (buckets - i) * stepMs,
    to: end - (buckets - i - 1) * stepMs,
  }))
  const stats = await Promise.all(spans.map((span) => state.config.archive.stats({ since: span.from, until: span.to })))
  const outcomeBuckets: Bucket[] = spans.map((span, i) => ({ ...span, counts: stats[i]!.byOutcome }))
  const codeBuckets: Bucket[] = spans.map((span, i) => ({ ...span, counts: stats[i]!.byCode }))
  return { outcomeBuckets, codeBuckets, since: spans[0]!.from, until: end }
}

async function listPage(state: State, params: URLSearchParams): Promise<Response> {
  const filters: ListFilters = {}
  for (const name of ['outcome', 'provider', 'type', 'code'] as const) {
    const value = param(params, name)
    if (value !== undefined) filters[name] = value
  }
  const rangeParam = param(params, 'range')
  const range: RangeKey = rangeParam !== undefined && rangeParam in RANGES ? (rangeParam as RangeKey) : '24h'
  const cursor = param(params, 'cursor')
  const { archive, pageSize } = state.config
  let listed
  try {
    listed = await archive.list({ ...filters, limit: pageSize, ...(cursor ? { cursor } : {}) } as never)
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError)
      return textResponse(400, 'That page link is not valid.')
    throw error
  }
  const [known, buckets] = await Promise.all([archive.stats(), bucketsOf(state, range)])
  const rangeStats = await archive.stats({ since: buckets.since, until: buckets.until })
  return htmlResponse(state, 200, 'Deliveries', () =>
    listView({
      filters,
      range,
      page: listed,
      rangeStats,
      known,
      outcomeBuckets: buckets.outcomeBuckets,
      codeBuckets: buckets.codeBuckets,
    }),
  )
}

function receiverFor(config: ResolvedInspector, record: DeliveryRecord) {
  return config.receivers.find((receiver) => receiver.provider?.name === record.provider)
}

async function detailPage(state: State, id: string, failure?: { status: number; error: string }): Promise<Response> {
  const record = await state.config.archive.get(id)
  if (!record)
    return htmlResponse(
      state,
      404,
      'Not found',
      () => markup`<p><a href="?">← All deliveries</a></p><p>No archived delivery with this id.</p>`,
    )
  let replayToken: string | undefined
  let replayBlocked: string | undefined
  if (state.config.allowReplay) {
    replayBlocked =
      notReplayable(record) ??
      (receiverFor(state.config, record) ? undefined : `no receiver for ${record.provider} here`)
    if (replayBlocked === undefined) replayToken = await state.tokens.mint(record.deliveryId)
  }
  const data = {
    record,
    maxBodyDisplayBytes: state.config.maxBodyDisplayBytes,
    ...(replayToken ? { replayToken } : {}),
    ...(replayBlocked ? { replayBlocked } : {}),
    ...(failure ? { error: failure.error } : {}),
  }
  return htmlResponse(state, failure?.status ?? 200, `Delivery ${record.deliveryId}`, () => detailView(data))
}

async function rawBody(state: State, id: string): Promise<Response> {
  const record = await state.config.archive.get(id)
  if (!record?.body) return textResponse(404, 'No archived body for this id.')
  const name = record.deliveryId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)
  return new Response(toArrayBuffer(record.body), {
    status: 200,
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${name}.bin"`,
      ...securityHeaders(undefined),
    },
  })
}

/** The form of a replay POST, read up to a small limit; undefined when it is not one. */
async function readForm(request: Request): Promise<URLSearchParams | undefined> {
  const type = (request.headers.get('content-type') ?? '').toLowerCase()
  if (!type.startsWith('application/x-www-form-urlencoded')) return undefined
  if (Number(request.headers.get('content-length') ?? 0) > MAX_FORM_BYTES || !request.body) return undefined
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > MAX_FORM_BYTES) {
      await reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  return new URLSearchParams(new TextDecoder().decode(concatBytes(chunks)))
}

async function authorized(state: State, request: Request, native: unknown): Promise<boolean> {
  try {
    return (await state.config.authorize!(request, native)) === true
  } catch (error) {
    state.config.logger.warn({ error: errorText(error) }, 'inspector: authorize threw; replay refused')
    return false
  }
}

async function replayPost(state: State, request: Request, url: URL, native: unknown): Promise<Response> {
  const id = param(url.searchParams, 'id')
  if (id === undefined || url.searchParams.get('action') !== 'replay') return textResponse(400, 'Nothing to do.')
  if (!(await authorized(state, request, native))) return textResponse(403, 'You are not allowed to replay deliveries.')
  if (!sameOrigin(request, url, state.config.trustedOrigins)) return textResponse(403, 'Cross-origin request refused.')
  const form = await readForm(request)
  if (!form || !(await state.tokens.check(id, form.get('token'))))
    return textResponse(403, 'The form token is missing, invalid or expired: reload the page and try again.')
  const record = await state.config.archive.get(id)
  if (!record) return textResponse(404, 'No archived delivery with this id.')
  const receiver = receiverFor(state.config, record)
  if (!receiver)
    return detailPage(state, id, { status: 409, error: `No receiver for ${record.provider} is configured here.` })
  let result
  try {
    result = await receiver.replay(id)
  } catch (error) {
    if (!isHookguardError(error)) throw error
    return detailPage(state, id, { status: error.status, error: `Replay refused: ${error.reason ?? error.message}` })
  }
  await receiver.flushArchive()
  return new Response(null, {
    status: 303,
    headers: { location: pageUrl({ id: result.deliveryId }), ...securityHeaders(undefined) },
  })
}

async function route(state: State, request: Request, native: unknown): Promise<Response> {
  const url = new URL(request.url)
  if (!hostAllowed(state.config.allowedHosts, url)) return textResponse(421, 'This host name is not served here.')
  const method = request.method.toUpperCase()
  if (method === 'POST' && state.config.allowReplay) return replayPost(state, request, url, native)
  if (method !== 'GET' && method !== 'HEAD')
    return textResponse(405, 'Method not allowed.', {
      allow: state.config.allowReplay ? 'GET, HEAD, POST' : 'GET, HEAD',
    })
  const { searchParams } = url
  const asset = searchParams.get('asset')
  if (asset !== null)
    return asset === 'app.js'
      ? new Response(SCRIPT, {
          headers: { 'content-type': 'text/javascript; charset=utf-8', ...securityHeaders(undefined) },
        })
      : textResponse(404, 'No such asset.')
  const id = param(searchParams, 'id')
  if (id !== undefined) return searchParams.get('body') === 'raw' ? rawBody(state, id) : detailPage(state, id)
  return listPage(state, searchParams)
}

/**
 * The archive inspector as a Fetch handler: a list of deliveries filterable
 * by outcome, provider, type and code, with counts by outcome and by code
 * over time, and a detail view per delivery. Read-only unless `allowReplay`.
 * Mount it behind your own authentication: the page shows payloads.
 *
 * @example
 * ```ts
 * import { inspect } from 'hookguard/inspector'
 *
 * const inspector = inspect({ archive })
 * // Bun, Deno, Workers, Hono …: (request) => inspector(request)
 * const response = await inspector(new Request('http://localhost/_hookguard'))
 * ```
 */
export function inspect(options: InspectorOptions): InspectorHandler {
  const config = resolveOptions(options)
  const state: State = { config, tokens: formTokens(config.secret, config.now) }
  return async function hookguardInspector(request, native) {
    try {
      return await route(state, request, native)
    } catch (error) {
      config.logger.error({ error: errorText(error) }, 'inspector: the archive could not be read')
      return textResponse(500, 'The archive could not be read; the server log says why.')
    }
  }
}
