/**
 * A raw HTTP/1.1 client over a TCP socket, for requests node:http will not
 * send: one header line per entry in the order and case given, Host sent
 * twice, bytes a client library refuses (non-ASCII, control characters).
 * Each request uses its own connection (`Connection: close`).
 */
import { connect } from 'node:net'
import type { Answer } from '../adapters/http.js'

/** One header line: its name and value, both as latin1 text (one char per byte on the wire). */
export type Line = readonly [name: string, value: string]

export interface RawRequest {
  method?: string
  lines: readonly Line[]
  body?: string | Uint8Array
}

export interface RawAnswer extends Answer {
  /** The status line and header block as received. */
  head: string
  /**
   * Refused by the HTTP layer or the framework before hookguard saw it: a
   * 4xx without the `hookguard-outcome` header hookguard puts on every
   * answer (Node's bare parser error, Fastify's JSON `Client Error` for the
   * same, Fastify's 415 for a Content-Type it cannot parse).
   */
  bare: boolean
}

const ANSWER_TIMEOUT_MS = 10_000

/** Text as the latin1 string of its UTF-8 bytes: what a header carrying it holds on the wire. */
export function wire(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}

function requestBytes(url: URL, request: RawRequest): Buffer {
  const body = typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body ?? [])
  const lines = [...request.lines]
  if (!lines.some(([name]) => /^host$/i.test(name))) lines.unshift(['Host', url.host])
  if (!lines.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name)))
    lines.push(['Content-Length', String(body.length)])
  lines.push(['Connection', 'close'])
  const head = `${request.method ?? 'POST'} ${url.pathname}${url.search} HTTP/1.1\r\n${lines
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`
  return Buffer.concat([Buffer.from(head, 'latin1'), body])
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const end = bytes.indexOf('\r\n', at)
    if (end === -1) break
    const size = parseInt(bytes.subarray(at, end).toString('latin1'), 16)
    if (!(size > 0)) break
    parts.push(bytes.subarray(end + 2, end + 2 + size))
    at = end + 2 + size + 2
  }
  return Buffer.concat(parts)
}

function parseAnswer(bytes: Buffer): RawAnswer {
  const split = bytes.indexOf('\r\n\r\n')
  if (split === -1) throw new Error(`no complete answer: ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`)
  const head = bytes.subarray(0, split).toString('latin1')
  const [statusLine, ...headerLines] = head.split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0)
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
  }
  let rest = bytes.subarray(split + 4)
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) rest = dechunk(rest)
  else if (headers['content-length'] !== undefined) rest = rest.subarray(0, Number(headers['content-length']))
  const text = rest.toString('utf8')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  const bare = status >= 400 && status < 500 && headers['hookguard-outcome'] === undefined
  return { status, headers, text, json, head, bare }
}

/** Sends one request on a fresh connection to `url` and reads the answer until the server closes. */
export function sendRaw(url: string, request: RawRequest): Promise<RawAnswer> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname)
    const chunks: Buffer[] = []
    let settled = false
    const finish = (error?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      if (error && chunks.length === 0) return reject(error)
      try {
        resolve(parseAnswer(Buffer.concat(chunks)))
      } catch (parseError) {
        reject(error ?? parseError)
      }
    }
    const timer = setTimeout(() => finish(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS)
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('end', () => finish())
    socket.on('close', () => finish())
    // A server that answers early may reset the rest of the upload: the answer read so far still counts.
    socket.on('error', (error) => finish(error))
    socket.end(requestBytes(target, request))
  })
}

/** The lines of a delivery's headers, names as given. */
export function linesOf(headers: Record<string, string>): Line[] {
  return Object.entries(headers)
}
