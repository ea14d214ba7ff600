/**
 * What the Node adapters (node:http, Express, Koa) share: headers read from
 * the raw header list, so a repeated header stays visible instead of being
 * joined or dropped, and writing a result to a Node response.
 *
 * @module
 */
import { headersFromRaw, type NormalizedHeaders } from '../internal/headers.js'
import { NORMALIZED } from '../pipeline/read.js'
import type { HandleResult } from '../types/index.js'

/** Normalised headers from Node's `rawHeaders`. */
export function nodeHeaders(rawHeaders: readonly string[]): NormalizedHeaders {
  const headers = headersFromRaw(rawHeaders)
  ;(headers as Record<symbol, unknown>)[NORMALIZED] = true
  return headers
}

/** The parts of `http.ServerResponse` used to write a result. */
export interface NodeResponseLike {
  readonly headersSent: boolean
  readonly writableEnded: boolean
  writeHead(status: number, headers: Record<string, string>): unknown
  end(body?: string): unknown
}

/** How long and how much a lingering close drains after an early answer. */
export interface LingerLimits {
  /** Bytes read and thrown away at most. @default 16 MiB */
  maxBytes: number
  /** Time at most, ms. @default 5000 */
  maxMs: number
}

const DEFAULT_LINGER: LingerLimits = { maxBytes: 16 * 1024 * 1024, maxMs: 5000 }
const LINGERING = Symbol('hookguard.lingering')

/** The parts of a `net.Socket` a lingering close uses. */
export interface SocketLike {
  end(): unknown
  destroy(): unknown
  once(event: 'close', listener: () => void): unknown
  destroySoon?: () => void
}

/** The parts of an `http.IncomingMessage` a lingering close uses. */
export interface LingeringRequest {
  readonly socket: SocketLike | null
  resume(): unknown
  on(event: 'data', listener: (chunk: Uint8Array) => void): unknown
  once(event: 'end', listener: () => void): unknown
}

/**
 * An early answer (413, 408) while the sender is still writing: when Node
 * closes the connection after the answer, half-close instead and drain
 * what keeps arriving for a bounded time and size before closing for good.
 * Closing a socket with unread bytes resets it, and a sender that writes
 * its whole body before reading then never sees the answer.
 */
export function lingerOnClose(req: LingeringRequest, limits: LingerLimits = DEFAULT_LINGER): void {
  const socket = req.socket as (SocketLike & { [LINGERING]?: true }) | null
  if (!socket || socket[LINGERING] || typeof socket.destroySoon !== 'function') return
  socket[LINGERING] = true
  // Node's HTTP server calls destroySoon() after an answer with Connection: close.
  socket.destroySoon = function lingeringClose() {
    socket.end()
    let drained = 0
    const stop = (): void => {
      clearTimeout(timer)
      socket.destroy()
    }
    const timer = setTimeout(stop, limits.maxMs)
    socket.once('close', () => clearTimeout(timer))
    req.on('data', (chunk) => {
      drained += chunk.length
      if (drained > limits.maxBytes) stop()
    })
    // The whole request arrived: nothing left to reset over.
    req.once('end', stop)
    req.resume()
  }
}

/** Write a result to a Node response, unless the response is already under way. */
export function writeNodeResponse(
  res: NodeResponseLike,
  result: HandleResult,
  unread: boolean,
  req?: LingeringRequest,
): void {
  if (res.headersSent || res.writableEnded) return
  if (unread) {
    result.headers.connection = 'close'
    if (req) lingerOnClose(req)
  }
  res.writeHead(result.status, result.headers)
  res.end(result.body === '' ? undefined : result.body)
}
