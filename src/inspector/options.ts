/**
 * The inspector's options, documented where they are declared, and their
 * validation: bad configuration throws a TypeError when `inspect()` is
 * called, never on the first request.
 *
 * @module
 */
import { configError } from '../errors.js'
import { resolveLogger } from '../internal/log.js'
import { refuseUnknownOptions } from '../internal/suggest.js'
import type { Receiver } from '../receiver/index.js'
import type { DeliveryArchive, Logger } from '../types/index.js'

/** Decides whether this request may replay: called for every replay POST. */
export type InspectorAuthorize = (request: Request, native?: unknown) => boolean | Promise<boolean>

export interface InspectorOptions {
  /**
   * The archive to show. Required unless `receiver` has one.
   * @default the (first) receiver's archive
   */
  archive?: DeliveryArchive
  /**
   * The receiver(s) that replay deliveries, picked by the delivery's
   * provider name. Needed only with `allowReplay`.
   * @default none
   */
  receiver?: Receiver<any> | ReadonlyArray<Receiver<any>>
  /**
   * Show a Replay button and accept replay POSTs. Needs `authorize` and a
   * `receiver`. Every replay POST must also pass the same-origin check and
   * carry the form token of the page it came from.
   * @default false (read-only)
   */
  allowReplay?: boolean
  /**
   * Called for every replay POST, with the Fetch `Request` and the
   * framework's own request object (`req`, `ctx` or `c`) when mounted
   * through an adapter: return true to allow it. Check your session or
   * credentials here; a throw counts as false.
   * @default none (required with allowReplay)
   */
  authorize?: InspectorAuthorize
  /**
   * Accepted `Host` header values (`admin.example.com`, `127.0.0.1:4000`);
   * other hosts get 421. Set it when the page may be reached by a name you
   * do not control (DNS rebinding against a local port).
   * @default any host
   */
  allowedHosts?: readonly string[]
  /**
   * Origins, besides the request's own, that may post a replay: the public
   * origin when a proxy changes the scheme or host the server sees.
   * @default none
   */
  trustedOrigins?: readonly string[]
  /**
   * Key of the replay form tokens, at least 32 bytes. Give the same key to
   * every instance behind one load balancer.
   * @default 32 random bytes per inspect() call
   */
  secret?: string | Uint8Array
  /** Deliveries per page. @default 50 */
  pageSize?: number
  /** Largest part of a body shown on the page, bytes (the whole body stays downloadable). @default 262144 */
  maxBodyDisplayBytes?: number
  /** Page title. @default 'hookguard inspector' */
  title?: string
  /** Where archive and replay failures are logged. `false` for silence. @default the console */
  logger?: Logger | false
  /** Clock in ms, for tests. @default Date.now */
  now?: () => number
}

export interface ResolvedInspector {
  archive: DeliveryArchive
  receivers: ReadonlyArray<Receiver<any>>
  allowReplay: boolean
  authorize: InspectorAuthorize | undefined
  allowedHosts: ReadonlySet<string> | undefined
  trustedOrigins: ReadonlySet<string>
  secret: Uint8Array
  pageSize: number
  maxBodyDisplayBytes: number
  title: string
  logger: Logger
  now: () => number
}

const WHERE = 'inspect'
const NAMES = [
  'archive',
  'receiver',
  'allowReplay',
  'authorize',
  'allowedHosts',
  'trustedOrigins',
  'secret',
  'pageSize',
  'maxBodyDisplayBytes',
  'title',
  'logger',
  'now',
]

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw configError(`${WHERE}: ${name} must be an integer from ${min} to ${max} (got ${String(value)})`)
  return value
}

function stringSet(name: string, value: unknown, normalize: (item: string) => string): ReadonlySet<string> | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === ''))
    throw configError(`${WHERE}: ${name} must be an array of non-empty strings`)
  return new Set(value.map(normalize))
}

function resolveSecret(value: unknown): Uint8Array {
  if (value === undefined) return globalThis.crypto.getRandomValues(new Uint8Array(32))
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value
  if (!(bytes instanceof Uint8Array) || bytes.length < 32)
    throw configError(`${WHERE}: secret must be at least 32 bytes (a string or a Uint8Array); omit it for a random one`)
  return bytes
}

function resolveReceivers(value: unknown): ReadonlyArray<Receiver<any>> {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  for (const item of list)
    if (!item || typeof item !== 'object' || typeof (item as Receiver).replay !== 'function')
      throw configError(`${WHERE}: receiver must be a receiver from createReceiver() (or an array of them)`)
  return list as Receiver<any>[]
}

function resolveArchive(options: InspectorOptions, receivers: ReadonlyArray<Receiver<any>>): DeliveryArchive {
  const archive = options.archive ?? receivers.find((receiver) => receiver.archive)?.archive
  if (
    !archive ||
    typeof archive.list !== 'function' ||
    typeof archive.get !== 'function' ||
    typeof archive.stats !== 'function'
  )
    throw configError(
      `${WHERE}: archive is required — pass { archive } (sqliteArchive(), postgresArchive() …) or a receiver that has one`,
    )
  return archive
}

function resolveReplay(options: InspectorOptions, receivers: ReadonlyArray<Receiver<any>>) {
  const allowReplay = options.allowReplay ?? false
  if (typeof allowReplay !== 'boolean') throw configError(`${WHERE}: allowReplay must be true or false`)
  if (options.authorize !== undefined && typeof options.authorize !== 'function')
    throw configError(`${WHERE}: authorize must be a function (request) => boolean | Promise<boolean>`)
  if (allowReplay && !options.authorize)
    throw configError(`${WHERE}: allowReplay needs authorize: (request) => boolean, which decides who may replay`)
  if (allowReplay && receivers.length === 0)
    throw configError(`${WHERE}: allowReplay needs receiver: the receiver (or receivers) that replay deliveries`)
  return { allowReplay, authorize: options.authorize }
}

export function resolveOptions(options: InspectorOptions): ResolvedInspector {
  if (!options || typeof options !== 'object') throw configError(`${WHERE}: pass { archive } or { receiver }`)
  refuseUnknownOptions(WHERE, options, NAMES)
  const receivers = resolveReceivers(options.receiver)
  const now = options.now ?? Date.now
  if (typeof now !== 'function') throw configError(`${WHERE}: now must be a function returning ms`)
  const title = options.title ?? 'hookguard inspector'
  if (typeof title !== 'string') throw configError(`${WHERE}: title must be a string`)
  return {
    archive: resolveArchive(options, receivers),
    receivers,
    ...resolveReplay(options, receivers),
    allowedHosts: stringSet('allowedHosts', options.allowedHosts, (host) => host.toLowerCase()),
    trustedOrigins: stringSet('trustedOrigins', options.trustedOrigins, (origin) => origin) ?? new Set(),
    secret: resolveSecret(options.secret),
    pageSize: integer('pageSize', options.pageSize, 1, 1000, 50),
    maxBodyDisplayBytes: integer(
      'maxBodyDisplayBytes',
      options.maxBodyDisplayBytes,
      1024,
      64 * 1024 * 1024,
      256 * 1024,
    ),
    title,
    logger: resolveLogger(WHERE, options.logger),
    now,
  }
}
