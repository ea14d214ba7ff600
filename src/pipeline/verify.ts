/**
 * Step 2, verify: the provider checks authenticity over the raw bytes.
 * Synchronous on the node:crypto path; nothing unverified goes further.
 *
 * @module
 */
import type { ProviderRequest, Verification } from '../types/index.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'
import { asHookguardError } from './errors.js'

function unverified(error: unknown): never {
  // A provider that throws something unexpected has still not verified anything.
  throw asHookguardError(error, 'signature.invalid', 'verification threw')
}

export function verify(config: ReceiverConfig, delivery: Delivery): Verification | Promise<Verification> {
  const request: ProviderRequest = {
    method: delivery.method,
    url: delivery.url,
    headers: delivery.headers,
    body: delivery.body!,
    now: delivery.receivedAt,
    // A per-tenant secret lookup gets the same budget as a store call.
    secretTimeoutMs: config.storeTimeoutMs,
  }
  delivery.request = request
  try {
    const verification = config.provider.verify(request)
    return verification instanceof Promise ? verification.catch(unverified) : verification
  } catch (error) {
    return unverified(error)
  }
}
