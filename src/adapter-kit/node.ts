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

/** Write a result to a Node response, unless the response is already under way. */
export function writeNodeResponse(res: NodeResponseLike, result: HandleResult, unread: boolean): void {
  if (res.headersSent || res.writableEnded) return
  if (unread) result.headers.connection = 'close'
  res.writeHead(result.status, result.headers)
  res.end(result.body === '' ? undefined : result.body)
}
