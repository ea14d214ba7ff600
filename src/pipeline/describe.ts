/**
 * Step 3, parse and describe: the verified bytes become a payload (strict
 * JSON unless the provider parses), the provider names the event's id and
 * type or asks for a handshake, and an optional schema validates.
 *
 * @module
 */
import { HookguardError } from '../errors.js'
import { parseJson } from '../internal/parse.js'
import type { EventDescription, Verification } from '../types/index.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'
import { asHookguardError } from './errors.js'

export interface Described {
  payload: unknown
  description: EventDescription
}

async function validate(config: ReceiverConfig, payload: unknown): Promise<unknown> {
  let result
  try {
    result = await config.schema!['~standard'].validate(payload)
  } catch (error) {
    throw new HookguardError('payload.invalid', { reason: 'schema validation threw', cause: error })
  }
  if (result.issues) {
    throw new HookguardError('payload.invalid', {
      reason: `payload failed schema validation (${result.issues.length} issues)`,
    })
  }
  return result.value
}

export async function describe(
  config: ReceiverConfig,
  delivery: Delivery,
  verification: Verification,
): Promise<Described> {
  const provider = config.provider
  const request = delivery.request!
  let payload: unknown
  try {
    payload = provider.parse ? await provider.parse(request) : parseJson(request.body)
  } catch (error) {
    throw asHookguardError(error, 'body.malformed', 'parse threw')
  }
  let description: EventDescription
  try {
    description = await provider.describe(payload, request, verification)
  } catch (error) {
    throw asHookguardError(error, 'body.malformed', 'describe threw')
  }
  if (config.schema && !description.handshake) payload = await validate(config, payload)
  return { payload, description }
}
