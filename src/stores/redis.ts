/**
 * Dedupe store on Redis, shared by every instance that talks to the same
 * server. Each step is one Lua script, so one round trip and atomic on the
 * server: reserve is `SET NX PX` with a random owner token, complete and
 * release are compare-and-set on that token. Expiry uses the Redis clock
 * only, so instances with skewed clocks still agree.
 *
 * Works with an ioredis client (`new Redis(url)`, also `Cluster`) or a
 * connected node-redis client (`createClient({ url }).connect()`, v4 and
 * later). The client stays yours: the store never connects or quits it.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import { randomToken } from '../crypto.js'
import { configError } from '../errors.js'
import { resolveLogger } from '../internal/log.js'
import type { DedupeStore, Logger, ReserveResult } from '../types/index.js'

/** The shape of an ioredis `Redis` or `Cluster`, as far as the store uses it. */
export interface IoRedisLike {
  evalsha(...args: any[]): Promise<unknown>
  eval(...args: any[]): Promise<unknown>
  readonly isCluster: boolean
}

/** The shape of a node-redis (v4+) client, as far as the store uses it. */
export interface NodeRedisLike {
  evalSha(...args: any[]): Promise<unknown>
  eval(...args: any[]): Promise<unknown>
}

export interface RedisStoreOptions {
  /**
   * Required: an ioredis `Redis`/`Cluster` or a connected node-redis client.
   * For fast 503s while Redis is down, create ioredis with
   * `{ enableOfflineQueue: false, maxRetriesPerRequest: 0 }` (see the docs).
   */
  client: IoRedisLike | NodeRedisLike
  /**
   * Prepended to every dedupe key and ordering record, to share one Redis between apps.
   * @default 'hookguard:'
   */
  prefix?: string
  /**
   * Where a key that hookguard did not write is reported (once): a
   * pino-compatible logger, or `false` for silence.
   * @default console
   */
  logger?: Logger | false
}

export interface RedisStore extends DedupeStore {
  forget(key: string): Promise<boolean>
  advance(entity: string, version: number, retentionMs: number): Promise<boolean>
  /** Which client API was detected. */
  readonly clientKind: 'ioredis' | 'node-redis'
  /** The prefix in use. */
  readonly prefix: string
}

// Values: `r:<token>` while reserved, `d:<token>` once completed, `o:<version>`
// for an ordering record. Codes returned by RESERVE: 1 reserved, 2 duplicate,
// 3 in flight (+ PTTL).
const RESERVE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 2) == 'd:' then return {2} end
return {3, redis.call('PTTL', KEYS[1])}
`
const COMPLETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`
const FORGET = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, 2) == 'd:' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`
// The version is stored as the caller's text, never re-printed by Lua (whose
// tostring keeps 14 digits): ms timestamps and fractions stay exact.
const ADVANCE = `
local value = redis.call('GET', KEYS[1])
if value then
  if string.sub(value, 1, 2) ~= 'o:' then
    return redis.error_reply('hookguard: ' .. KEYS[1] .. ' holds a dedupe key, not an ordering record')
  end
  if tonumber(string.sub(value, 3)) > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], 'o:' .. ARGV[1], 'PX', ARGV[2])
return 1
`

interface Script {
  source: string
  sha: string
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

const SCRIPTS = {
  reserve: script(RESERVE),
  complete: script(COMPLETE),
  release: script(RELEASE),
  forget: script(FORGET),
  advance: script(ADVANCE),
}

type Evaluate = (script: Script, key: string, args: string[]) => Promise<unknown>

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}

type AnyFunction = (...args: any[]) => any

/** Turn whichever client was given into "run this script with one key". */
function adapt(client: unknown): { kind: RedisStore['clientKind']; evaluate: Evaluate } {
  if (client === null || typeof client !== 'object') {
    throw configError(
      'redisStore: options.client is required — pass an ioredis client (new Redis(process.env.REDIS_URL)) ' +
        'or a connected node-redis client (await createClient({ url }).connect())',
    )
  }
  const c = client as Record<string, unknown>
  // node-redis (v4+) names it evalSha and takes { keys, arguments }.
  if (typeof c.evalSha === 'function' && typeof c.eval === 'function') {
    const evalSha = (c.evalSha as AnyFunction).bind(client)
    const evalScript = (c.eval as AnyFunction).bind(client)
    return {
      kind: 'node-redis',
      async evaluate(s, key, args) {
        const options = { keys: [key], arguments: args }
        try {
          return await evalSha(s.sha, options)
        } catch (error) {
          if (!isNoScript(error)) throw error
          return evalScript(s.source, options)
        }
      },
    }
  }
  // ioredis marks both Redis and Cluster with a boolean isCluster; that tells it
  // apart from callback-style clients (node-redis v3, legacy mode) with lower-case names.
  if (typeof c.evalsha === 'function' && typeof c.eval === 'function' && typeof c.isCluster === 'boolean') {
    const evalSha = (c.evalsha as AnyFunction).bind(client)
    const evalScript = (c.eval as AnyFunction).bind(client)
    return {
      kind: 'ioredis',
      async evaluate(s, key, args) {
        try {
          return await evalSha(s.sha, 1, key, ...args)
        } catch (error) {
          if (!isNoScript(error)) throw error
          return evalScript(s.source, 1, key, ...args)
        }
      },
    }
  }
  throw configError(
    'redisStore: unsupported client — pass an ioredis client or a node-redis v4+ client ' +
      '(node-redis legacyMode and callback-only clients are not supported)',
  )
}

function milliseconds(method: string, name: string, value: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw configError(`redisStore.${method}: ${name} must be a positive number of ms (got ${String(value)})`)
  return String(Math.ceil(value))
}

/** The version as text Lua's tonumber reads back to the same double (JS prints the shortest exact form). */
function versionText(version: number): string {
  if (typeof version !== 'number' || !Number.isFinite(version))
    throw configError(`redisStore.advance: version must be a finite number (got ${String(version)})`)
  return String(version)
}

function reserveResult(reply: unknown, token: string, foreign: () => void): ReserveResult {
  const [code, pttl] = Array.isArray(reply) ? reply.map(Number) : []
  if (code === 1) return { status: 'reserved', token }
  if (code === 2) return { status: 'duplicate' }
  if (code !== 3) throw new Error('redisStore: unexpected reply from the reserve script')
  // hookguard writes every key with an expiry; one without (PTTL -1) belongs to someone else.
  if (pttl === -1) foreign()
  return pttl !== undefined && pttl >= 0 ? { status: 'in_flight', retryAfterMs: pttl } : { status: 'in_flight' }
}

/**
 * A dedupe store on Redis, for several instances behind a load balancer.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { createReceiver, stripe } from 'hookguard'
 * import { redisStore } from 'hookguard/redis'
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
 * const receiver = createReceiver({ provider: stripe({ secret }), store: redisStore({ client }) })
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  if (!options || typeof options !== 'object')
    throw configError('redisStore needs an options object: redisStore({ client })')
  const { kind, evaluate } = adapt(options.client)
  const prefix = options.prefix ?? 'hookguard:'
  if (typeof prefix !== 'string' || prefix.length > 256)
    throw configError('redisStore: prefix must be a string of at most 256 characters')
  const logger = resolveLogger('redisStore', options.logger)
  let warnedForeign = false
  const foreign = (key: string) => () => {
    if (warnedForeign) return
    warnedForeign = true
    logger.warn(
      { key: prefix + key },
      'redisStore: a key holds a value without expiry that hookguard did not write, so its deliveries are answered 409; ' +
        'give the store a prefix no other application uses',
    )
  }

  return {
    clientKind: kind,
    prefix,
    async reserve(key, leaseMs) {
      const token = randomToken()
      const lease = milliseconds('reserve', 'leaseMs', leaseMs)
      return reserveResult(await evaluate(SCRIPTS.reserve, prefix + key, [`r:${token}`, lease]), token, foreign(key))
    },
    async complete(key, token, retentionMs) {
      const retention = milliseconds('complete', 'retentionMs', retentionMs)
      return Number(await evaluate(SCRIPTS.complete, prefix + key, [`r:${token}`, `d:${token}`, retention])) === 1
    },
    async release(key, token) {
      return Number(await evaluate(SCRIPTS.release, prefix + key, [`r:${token}`])) === 1
    },
    async forget(key) {
      return Number(await evaluate(SCRIPTS.forget, prefix + key, [])) === 1
    },
    async advance(entity, version, retentionMs) {
      const args = [versionText(version), milliseconds('advance', 'retentionMs', retentionMs)]
      return Number(await evaluate(SCRIPTS.advance, prefix + entity, args)) === 1
    },
  }
}
