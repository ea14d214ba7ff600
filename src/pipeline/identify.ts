/**
 * Step 4, identify: the event id becomes a namespaced dedupe key, and the
 * verified request becomes the event that queues and handlers see.
 *
 * Ids become store keys, so they are bounded, free of control characters
 * (PostgreSQL text refuses NUL) and well-formed Unicode (the Redis and
 * PostgreSQL clients turn a lone surrogate into U+FFFD, and two events would
 * collide). Where the id travels outside the signature, the key is a digest
 * of the signed content instead, so a captured delivery resent under a fresh
 * id is still a duplicate.
 *
 * @module
 */
import { defaultCrypto, encodeBase64 } from '../crypto.js'
import { HookguardError } from '../errors.js'
import { flat, keyFits, keyPartProblem, MAX_KEY_BYTES } from '../internal/keys.js'
import type { EventDescription, QueuedEvent, Verification } from '../types/index.js'
import type { NameRequest, ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'
import type { Described } from './describe.js'

export { MAX_ID_LENGTH, MAX_KEY_BYTES, utf8Length } from '../internal/keys.js'
/** Longest receiver name, characters. */
export const MAX_NAME_LENGTH = 128

/** Why `id` cannot be a key, or undefined when it can. */
function badId(id: string): string | undefined {
  const problem = keyPartProblem(id)
  return problem && `event id ${problem}`
}

/** Why `name` cannot be a receiver name, or undefined when it can. */
export function badName(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'must be a non-empty string'
  if (name.length > MAX_NAME_LENGTH) return `must be at most ${MAX_NAME_LENGTH} characters`
  if (!name.isWellFormed()) return 'must be well-formed Unicode'
  return undefined
}

export function keyPrefix(provider: string, name: string): string {
  return `${provider}:${encodeURIComponent(name)}:`
}

function checkedName(name: unknown): string {
  const problem = badName(name)
  if (problem) throw new HookguardError('receiver.misconfigured', { reason: `the name function's result ${problem}` })
  return name as string
}

function receiverFor(config: ReceiverConfig, delivery: Delivery): string | Promise<string> {
  if (!config.nameOf) return config.receiverName
  const request: NameRequest = { method: delivery.method, url: delivery.url, headers: delivery.headers }
  const threw = (error: unknown): never => {
    throw new HookguardError('receiver.misconfigured', { reason: 'the name function threw', cause: error })
  }
  let name: string | Promise<string>
  try {
    name = config.nameOf(request)
  } catch (error) {
    return threw(error)
  }
  return name instanceof Promise ? name.then(checkedName, threw) : checkedName(name)
}

type OneShotHash = (algorithm: string, data: Uint8Array, encoding: 'base64url') => string
// node:crypto's one-shot hash (Node ≥ 20.12) skips the Hash object a digest otherwise costs per request.
const oneShotHash = (
  (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(
    'node:crypto',
  ) as { hash?: OneShotHash } | undefined
)?.hash

function keyFor(prefix: string, id: string, verification: Verification): string | Promise<string> {
  const fingerprint = verification.fingerprint
  if (!(fingerprint instanceof Uint8Array) || fingerprint.length === 0) return prefix + id
  // A digest, never the MAC itself: keys show up in logs and stores.
  if (oneShotHash) return `${prefix}~${oneShotHash('sha256', fingerprint, 'base64url')}`
  const digest = defaultCrypto().digest('sha256', fingerprint)
  return digest instanceof Uint8Array
    ? `${prefix}~${encodeBase64(digest, 'base64url')}`
    : digest.then((bytes) => `${prefix}~${encodeBase64(bytes, 'base64url')}`)
}

function checkedId(description: EventDescription, verification: Verification): string {
  const id = description.id ?? verification.id
  if (typeof id !== 'string' || id === '')
    throw new HookguardError('id.missing', { reason: 'no event id in the delivery' })
  const problem = badId(id)
  if (problem) throw new HookguardError('id.invalid', { reason: problem })
  return id
}

function checkedKey(key: string): string {
  if (!keyFits(key)) {
    throw new HookguardError('id.invalid', { reason: `dedupe key is over ${MAX_KEY_BYTES} bytes` })
  }
  // Joined once here: every store and queue step hashes or compares it.
  return flat(key)
}

function eventOf(
  config: ReceiverConfig,
  delivery: Delivery,
  verification: Verification,
  described: Described,
  id: string,
  key: string,
): QueuedEvent {
  const event: QueuedEvent = {
    id,
    key,
    provider: config.provider.name,
    receivedAt: delivery.receivedAt,
    payload: described.payload,
    headers: config.redactor.redact(delivery.headers),
  }
  const type = described.description.type ?? verification.type
  if (type !== undefined) event.type = type
  if (verification.timestamp !== undefined) event.timestamp = verification.timestamp
  if (delivery.deliveryId !== undefined) event.deliveryId = delivery.deliveryId
  const carried = delivery.trace?.carrier?.()
  if (carried) event.meta = carried
  delivery.event = event
  return event
}

/** Synchronous unless a `name` function or the digest is asynchronous. */
export function identify(
  config: ReceiverConfig,
  delivery: Delivery,
  verification: Verification,
  described: Described,
): QueuedEvent | Promise<QueuedEvent> {
  const id = checkedId(described.description, verification)
  const withName = (receiver: string): QueuedEvent | Promise<QueuedEvent> => {
    delivery.receiver = receiver
    const prefix = config.nameOf ? keyPrefix(config.provider.name, receiver) : config.keyPrefix
    const key = keyFor(prefix, id, verification)
    return key instanceof Promise
      ? key.then((value) => eventOf(config, delivery, verification, described, id, checkedKey(value)))
      : eventOf(config, delivery, verification, described, id, checkedKey(key))
  }
  const receiver = receiverFor(config, delivery)
  return receiver instanceof Promise ? receiver.then(withName) : withName(receiver)
}
