/**
 * Handshakes that arrive outside POST: Meta's `hub.challenge` and Dropbox's
 * `challenge` (GET), Okta's one-time verification (GET), Trello's callback
 * check (HEAD). They carry no body and are answered before one is read.
 *
 * A provider that answers them lists the methods in `handshakeMethods` and
 * answers in `handshake()`; the receiver sends such a request there instead
 * of answering 405. Nothing reaches the store or the queue.
 *
 * @module
 */
import { HookguardError } from '../../errors.js'
import type { HandshakeRequest, HandshakeResponse, Provider } from '../../types/index.js'

/** What a handshake sees: a request without a body. */
export type { HandshakeRequest } from '../../types/index.js'

/** The part of a provider that answers handshakes outside POST. */
export interface MethodHandshake {
  /** Upper-case methods besides POST that {@link MethodHandshake.handshake} answers (`GET`, `HEAD`). */
  readonly handshakeMethods: readonly string[]
  /**
   * Answers a request whose method is in `handshakeMethods`: the provider's
   * expected answer, or a HookguardError (400 malformed, 401 refused).
   */
  handshake(request: HandshakeRequest): HandshakeResponse | Promise<HandshakeResponse>
}

/** A provider that also answers handshakes outside POST. */
export type HandshakeProvider<T = unknown> = Provider<T> & MethodHandshake

/** Longest query string read for a handshake: senders use a few short parameters. */
const MAX_QUERY_LENGTH = 4096

/** The query parameters of the request URL (absolute or a path); each name must appear at most once. */
export function queryParams(request: Pick<HandshakeRequest, 'url'>): Map<string, string> {
  const url = request.url ?? ''
  const start = url.indexOf('?')
  const params = new Map<string, string>()
  if (start === -1) return params
  const end = url.indexOf('#', start)
  const query = url.slice(start + 1, end === -1 ? url.length : end)
  if (query.length > MAX_QUERY_LENGTH)
    throw new HookguardError('header.malformed', { reason: `query string is over ${MAX_QUERY_LENGTH} characters` })
  for (const [name, value] of new URLSearchParams(query)) {
    if (params.has(name))
      throw new HookguardError('header.duplicated', { reason: `query parameter ${name} appears more than once` })
    params.set(name, value)
  }
  return params
}

/** Challenge values echoed back: printable, no markup, bounded. */
const CHALLENGE_RE = /^[A-Za-z0-9._~+/=-]{1,512}$/

/** A challenge to echo, checked: absent is a 400, and so is anything but short printable text without markup. */
export function challengeValue(value: string | undefined, where: string): string {
  if (value === undefined || value === '')
    throw new HookguardError('header.malformed', { reason: `${where} is missing` })
  if (!CHALLENGE_RE.test(value))
    throw new HookguardError('header.malformed', { reason: `${where} is not 1 to 512 URL-safe characters` })
  return value
}

/** Echoes `text` as plain text that no browser will sniff as markup. */
export function plainTextAnswer(text: string): HandshakeResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
    body: text,
  }
}
