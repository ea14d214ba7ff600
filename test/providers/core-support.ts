/**
 * Helpers shared by the core provider tests (standard-webhooks, stripe,
 * github, hmac): run a request end to end through a receiver, or straight
 * through `provider.verify`, with a fixed clock.
 */
import { nodeCryptoBackend, webCryptoBackend, type CryptoBackend } from '../../src/crypto.js'
import { isHookguardError } from '../../src/errors.js'
import { normalizeHeaders } from '../../src/internal/headers.js'
import {
  createReceiver,
  memoryStore,
  type HandleResult,
  type HeadersInput,
  type Provider,
  type Verification,
} from '../../src/index.js'

/** A fixed "now" for every test: 2023-11-14T22:13:20Z. */
export const NOW_MS = 1_700_000_000_000
export const NOW_S = NOW_MS / 1000

/** Both crypto backends; every accept/reject case runs on each. */
export const BACKENDS: ReadonlyArray<readonly [string, CryptoBackend]> = [
  ['node:crypto', nodeCryptoBackend()!],
  ['Web Crypto', webCryptoBackend()],
]

export interface RawRequest {
  headers: HeadersInput
  body: string | Uint8Array
}

/** A receiver with a small memory store: the default 100 000-key store takes tens of ms to allocate. */
export function testReceiver(provider: Provider, nowMs = NOW_MS) {
  return createReceiver({ provider, store: memoryStore({ maxKeys: 1000 }), now: () => nowMs, logger: false })
}

/** End to end: a fresh receiver (memory store), the event delivered inline. */
export async function handle(provider: Provider, request: RawRequest, nowMs = NOW_MS): Promise<HandleResult> {
  const receiver = testReceiver(provider, nowMs)
  return receiver.handle(
    { method: 'POST', url: '/hooks', headers: request.headers, body: request.body },
    { deliver: () => true },
  )
}

/** Straight through the provider's verify, as the receiver calls it. */
export async function verify(provider: Provider, request: RawRequest, nowMs = NOW_MS): Promise<Verification> {
  const body = typeof request.body === 'string' ? new TextEncoder().encode(request.body) : request.body
  return provider.verify({
    method: 'POST',
    url: '/hooks',
    headers: normalizeHeaders(request.headers),
    body,
    now: nowMs,
  })
}

/** 'ok' when verify passes, else the HookguardError code; anything else is rethrown. */
export async function verifyCode(provider: Provider, request: RawRequest, nowMs = NOW_MS): Promise<string> {
  try {
    await verify(provider, request, nowMs)
    return 'ok'
  } catch (error) {
    if (isHookguardError(error)) return error.code
    throw error
  }
}

/** The status and the error code (or outcome kind) of an end-to-end run. */
export async function statusOf(
  provider: Provider,
  request: RawRequest,
  nowMs = NOW_MS,
): Promise<{ status: number; code: string }> {
  const result = await handle(provider, request, nowMs)
  const code =
    result.outcome.kind === 'rejected' || result.outcome.kind === 'unavailable'
      ? result.outcome.code
      : result.outcome.kind
  return { status: result.status, code }
}

/** The message of the TypeError a factory call throws (fails the test when it does not throw one). */
export function configMessage(factory: () => unknown): string {
  try {
    factory()
  } catch (error) {
    if (!(error instanceof TypeError)) throw error
    return error.message
  }
  throw new Error('expected the factory to throw a TypeError')
}
