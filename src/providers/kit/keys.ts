/**
 * Where a provider's keys come from: fixed at construction (a string or a
 * rotation list), or per request from a resolver (per-tenant secrets).
 * Resolved keys are decoded and checked once per distinct secret and kept
 * in an LRU cache keyed by the resolver's answer.
 *
 * @module
 */
import { configError, HookguardError } from '../../errors.js'
import { TtlCache } from '../../internal/ttl-cache.js'
import type { ProviderRequest, SignOptions } from '../../types/index.js'
import { invalidSignature } from './fail.js'
import { decodeSecrets, type SecretRules } from './secrets.js'

/** What a secret resolver sees: never the (unverified) body. */
export interface SecretRequest {
  readonly method: string
  readonly url?: string
  /** Lower-case names, as the provider reads them. */
  readonly headers: ProviderRequest['headers']
}

/** What a secret resolver answers: the tenant's secret (or rotation list), or undefined for an unknown tenant. */
export type SecretAnswer = string | readonly string[] | undefined

/** Looks up the secret of the tenant a request is for. */
export type SecretResolver = (request: SecretRequest) => SecretAnswer | Promise<SecretAnswer>

/** A fixed secret, a rotation list, or a per-request resolver. */
export type SecretOption = string | readonly string[] | SecretResolver

/** How long decoded per-tenant keys are kept. */
export interface SecretCacheOptions {
  /**
   * How long a decoded secret stays cached, ms. The cache is keyed by the
   * secret text itself, so a rotated secret is picked up at once whatever
   * this says; it only bounds how long old key bytes stay in memory.
   * @default 600000 (10 minutes)
   */
  ttlMs?: number
  /**
   * How many distinct secrets (or rotation lists) to keep decoded.
   * @default 1000
   */
  max?: number
}

/** The options that go with a resolver. */
export interface ResolverSettings {
  /**
   * How decoded per-tenant secrets are cached (only used when `secret` is a function).
   * @default { ttlMs: 600000, max: 1000 }
   */
  secretCache?: SecretCacheOptions
  /**
   * Time budget of one resolver call, ms; past it the request gets 503
   * `secret.unavailable`. When unset, the receiver's budget for the request
   * applies (`ProviderRequest.secretTimeoutMs`), else 1000.
   * @default the receiver's `storeTimeoutMs` (1000 unless set)
   */
  secretTimeoutMs?: number
}

const DEFAULT_SECRET_TIMEOUT_MS = 1000

/** A provider's keys. `fixed` is set for static secrets: then `forRequest` never waits. */
export interface KeySource {
  readonly fixed: readonly Uint8Array[] | undefined
  forRequest(request: ProviderRequest): readonly Uint8Array[] | Promise<readonly Uint8Array[]>
  /** Keys for `hookguard/testing`: a resolver is asked with the signing options' url and headers. */
  forSigning(sign: SignOptions): Promise<readonly Uint8Array[]>
}

type Entry = { keys: readonly Uint8Array[] } | { error: string }

function unavailable(reason: string, cause?: unknown): HookguardError {
  return new HookguardError('secret.unavailable', { reason, cause })
}

function checkSettings(provider: string, settings: ResolverSettings): { ttl: number; max: number } {
  const { ttlMs = 600_000, max = 1000 } = settings.secretCache ?? {}
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0)
    throw configError(`${provider}: secretCache.ttlMs must be a finite number of milliseconds greater than 0`)
  if (!Number.isInteger(max) || max < 1)
    throw configError(`${provider}: secretCache.max must be an integer of 1 or more`)
  const timeout = settings.secretTimeoutMs
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0))
    throw configError(`${provider}: secretTimeoutMs must be a finite number of milliseconds greater than 0`)
  return { ttl: ttlMs, max }
}

/** The resolver's answer, or a rejection after `ms`; a late rejection is swallowed. */
function withinBudget<T>(pending: PromiseLike<T>, ms: number, provider: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(unavailable(`${provider}: the secret resolver did not answer within ${ms} ms`)),
      ms,
    )
    pending.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(unavailable(`${provider}: the secret resolver threw`, error))),
    )
  })
}

/** Builds the key source for a `secret` (or `publicKey`) option. */
export function keySource(
  provider: string,
  option: unknown,
  rules: SecretRules = {},
  settings: ResolverSettings = {},
): KeySource {
  if (typeof option !== 'function') {
    const fixed = decodeSecrets(provider, option, rules)
    return { fixed, forRequest: () => fixed, forSigning: async () => fixed }
  }
  return resolvingSource(provider, option as SecretResolver, rules, settings)
}

function resolvingSource(
  provider: string,
  resolver: SecretResolver,
  rules: SecretRules,
  settings: ResolverSettings,
): KeySource {
  const { ttl, max } = checkSettings(provider, settings)
  const cache = new TtlCache<Entry>(max, ttl)

  function keysOf(answer: SecretAnswer): readonly Uint8Array[] {
    if (answer === undefined) throw invalidSignature('unknown tenant')
    const list = typeof answer === 'string' ? [answer] : answer
    if (!Array.isArray(list) || !list.every((item) => typeof item === 'string'))
      throw unavailable(`${provider}: the secret resolver answered neither a string, a string array nor undefined`)
    // The list as JSON: one key per distinct answer, and no string can pose as a list.
    const cacheKey = JSON.stringify(list)
    let entry = cache.get(cacheKey)
    if (entry === undefined) {
      try {
        entry = { keys: decodeSecrets(provider, list, rules) }
      } catch (error) {
        // A weak or malformed tenant secret is a configuration failure: 503, logged by reason, never the secret.
        entry = { error: (error as Error).message.replace(/^hookguard: /, '') + ' (from the secret resolver)' }
      }
      cache.set(cacheKey, entry)
    }
    if ('error' in entry) throw unavailable(entry.error)
    return entry.keys
  }

  function lookup(
    request: SecretRequest,
    budgetMs: number | undefined,
  ): readonly Uint8Array[] | Promise<readonly Uint8Array[]> {
    let answer: SecretAnswer | Promise<SecretAnswer>
    try {
      answer = resolver({ method: request.method, url: request.url, headers: request.headers })
    } catch (error) {
      throw unavailable(`${provider}: the secret resolver threw`, error)
    }
    if (typeof (answer as PromiseLike<SecretAnswer> | undefined)?.then !== 'function')
      return keysOf(answer as SecretAnswer)
    const ms = settings.secretTimeoutMs ?? budgetMs ?? DEFAULT_SECRET_TIMEOUT_MS
    return withinBudget(answer as PromiseLike<SecretAnswer>, ms, provider).then(keysOf)
  }

  return {
    fixed: undefined,
    forRequest: (request) => lookup(request, budgetOf(request)),
    async forSigning(sign) {
      const headers = Object.fromEntries(Object.entries(sign.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]))
      return lookup({ method: 'POST', url: sign.url, headers }, undefined)
    },
  }
}

function budgetOf(request: ProviderRequest): number | undefined {
  const ms = request.secretTimeoutMs
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : undefined
}

/** Runs `use` with the request's keys: synchronously for fixed keys (the node:crypto fast path), else once resolved. */
export function withKeys<T>(
  source: KeySource,
  request: ProviderRequest,
  use: (keys: readonly Uint8Array[]) => T | Promise<T>,
): T | Promise<T> {
  const fixed = source.fixed
  if (fixed !== undefined) return use(fixed)
  const keys = source.forRequest(request)
  return keys instanceof Promise ? keys.then(use) : use(keys)
}
