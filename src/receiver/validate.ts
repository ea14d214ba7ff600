/**
 * Every receiver option checked in one place, with errors that name the fix.
 *
 * @module
 */
import { configError } from '../errors.js'
import { utf8Length, badName, keyPrefix, MAX_ID_LENGTH, MAX_KEY_BYTES } from '../pipeline/identify.js'
import type { Provider } from '../types/index.js'
import { DEFAULT_RETENTION_MS } from '../internal/defaults.js'
import { refuseUnknownOptions } from '../internal/suggest.js'
import { RECEIVER_OPTION_NAMES, type ReceiverOptions } from './options.js'

const WHERE = 'createReceiver'

const HINTS: Record<string, string> = {
  tolerance: 'tolerance belongs to the provider: stripe({ secret, tolerance: 300 })',
  toleranceSeconds: 'tolerance belongs to the provider, in seconds: stripe({ secret, tolerance: 300 })',
  secret: 'the secret belongs to the provider: stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET })',
  inline: 'inline is an adapter option: hookguard(receiver, { inline: true })',
  inlined: 'inline mode is an adapter option: hookguard(receiver, { inline: true })',
  bodyTimeoutMs: 'bodyTimeoutMs is an adapter option: hookguard(receiver, { bodyTimeoutMs })',
  path: "path is an adapter option (Koa, Fastify): hookguard(receiver, { path: '/webhooks' })",
}

export function checkOptionsObject(options: unknown): asserts options is ReceiverOptions {
  if (!options || typeof options !== 'object') {
    throw configError('createReceiver needs an options object with at least { provider }')
  }
  refuseUnknownOptions(WHERE, options, RECEIVER_OPTION_NAMES as string[], HINTS)
}

export function checkProvider(provider: unknown): Provider {
  if (typeof provider === 'function') {
    throw configError(
      `createReceiver: provider is the factory ${provider.name || ''} itself — call it: provider: ${provider.name || 'stripe'}({ secret: process.env.… })`,
    )
  }
  const p = provider as Provider
  if (
    !p ||
    typeof p !== 'object' ||
    typeof p.verify !== 'function' ||
    typeof p.describe !== 'function' ||
    typeof p.name !== 'string'
  ) {
    throw configError(
      'createReceiver: options.provider is required — pass one from a factory, e.g. stripe({ secret: process.env.STRIPE_WEBHOOK_SECRET })',
    )
  }
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(p.name)) {
    throw configError(`provider name must match [a-z0-9][a-z0-9_-]* (got ${JSON.stringify(p.name)})`)
  }
  return p
}

export function positive(name: string, value: unknown, fallback: number, integer = true): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw configError(`${name} must be a positive ${integer ? 'integer' : 'number'} (got ${String(value)})`)
  }
  return value
}

/** A static name, checked so the longest id still fits every store's key limit. */
export function checkName(provider: Provider, name: unknown): string | undefined {
  if (typeof name === 'function') return undefined
  const value = name ?? 'default'
  const problem = badName(value)
  if (problem) throw configError(`createReceiver: name ${problem}`)
  const prefixBytes = utf8Length(keyPrefix(provider.name, value as string))
  if (prefixBytes + MAX_ID_LENGTH > MAX_KEY_BYTES) {
    throw configError(
      `createReceiver: name is too long for a dedupe key (${prefixBytes} bytes once encoded; keys must fit ` +
        `${MAX_KEY_BYTES} bytes with a ${MAX_ID_LENGTH}-character id) — choose a shorter name`,
    )
  }
  return value as string
}

export function checkTimes(options: ReceiverOptions, provider: Provider) {
  const storeTimeoutMs = positive('storeTimeoutMs', options.storeTimeoutMs, 1000)
  const queueTimeoutMs = positive('queueTimeoutMs', options.queueTimeoutMs, 2000)
  const leaseMs = positive('leaseMs', options.leaseMs, 30_000)
  if (leaseMs < storeTimeoutMs * 2 + queueTimeoutMs) {
    throw configError(
      `leaseMs (${leaseMs}) must outlast one delivery's store and queue budgets (${storeTimeoutMs * 2 + queueTimeoutMs} ms)`,
    )
  }
  return { storeTimeoutMs, queueTimeoutMs, leaseMs, retentionMs: checkRetention(options, provider) }
}

function checkRetention(options: ReceiverOptions, provider: Provider): number {
  const retentionMs = positive('retentionMs', options.retentionMs, DEFAULT_RETENTION_MS)
  if (provider.tolerance !== undefined && retentionMs < provider.tolerance * 2000) {
    throw configError(
      `retentionMs (${retentionMs}) must be at least twice the ${provider.name} tolerance (${provider.tolerance * 2000} ms), ` +
        'or a replay inside the tolerance window could be accepted again',
    )
  }
  return retentionMs
}

export function checkSchema(schema: unknown): void {
  if (
    schema !== undefined &&
    typeof (schema as { '~standard'?: { validate?: unknown } })?.['~standard']?.validate !== 'function'
  ) {
    throw configError('schema must be a Standard Schema (zod 4, valibot, arktype …) with a ~standard.validate function')
  }
}

export function checkMethods(what: string, value: unknown, methods: readonly string[], hint: string): void {
  for (const method of methods) {
    if (typeof (value as Record<string, unknown>)?.[method] !== 'function') {
      throw configError(`${what}.${method} must be a function (${hint})`)
    }
  }
}
