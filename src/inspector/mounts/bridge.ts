/**
 * Internal: Node's request and response as Fetch ones, for the node:http,
 * Express and Koa mounts. Only a replay POST has a body worth reading (a
 * small form), so bodies are read up to a small limit.
 *
 * @module
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'

const MAX_BODY_BYTES = 16 * 1024

export interface BridgeOptions {
  /** Path and query as the client sent them (Express's `originalUrl`), else `req.url`. */
  url?: string
  /** The body when a body parser already read it (`req.body`): an object of form fields or a string. */
  parsedBody?: unknown
}

function fetchHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.startsWith(':')) continue
    for (const item of Array.isArray(value) ? value : [value]) out.append(name, item)
  }
  return out
}

async function readStream(req: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

function parsedBodyText(parsed: unknown): string | undefined {
  if (typeof parsed === 'string') return parsed
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const form = new URLSearchParams()
    for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') form.append(name, value)
    return form.toString()
  }
  return undefined
}

/** A Fetch Request for a Node request; a body is read (or taken from a body parser) for POST only. */
export async function toFetchRequest(req: IncomingMessage, options: BridgeOptions = {}): Promise<Request> {
  const headers = fetchHeaders(req.headers)
  const host = headers.get('host') ?? 'localhost'
  const scheme = (req.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http'
  let url: URL
  try {
    url = new URL(`${scheme}://${host}${options.url ?? req.url ?? '/'}`)
  } catch {
    url = new URL(`${scheme}://localhost/`)
  }
  const method = (req.method ?? 'GET').toUpperCase()
  if (method !== 'POST') return new Request(url, { method, headers })
  // body-parser marks a request it read with `_body`; a stream read to its end is gone either way.
  const consumed = req.readableEnded || (req as { _body?: boolean })._body === true
  const text = consumed ? parsedBodyText(options.parsedBody) : undefined
  const body = text !== undefined ? new TextEncoder().encode(text) : consumed ? new Uint8Array() : await readStream(req)
  // An oversized body is sent on as none: the handler then refuses the form.
  if (text !== undefined) headers.delete('content-length')
  return new Request(url, { method, headers, body: body ? new Uint8Array(body).buffer : null })
}

/** Writes a Fetch Response to a Node response. */
export async function sendNodeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => (headers[name] = value))
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined
  res.writeHead(response.status, headers)
  res.end(body)
}
