/**
 * Step 3, parse and describe: the verified bytes become a payload (strict
 * JSON unless the provider parses), the provider names the event's id and
 * type or asks for a handshake, and an optional schema validates.
 * Synchronous unless the provider or the schema is not.
 *
 * @module
 */
import { HookguardError } from '../errors.js'
import { parseJson } from '../internal/parse.js'
import type { EventDescription, ProviderRequest, Verification } from '../types/index.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'
import { asHookguardError } from './errors.js'

export interface Described {
  payload: unknown
  description: EventDescription
}

function malformed(what: string): (error: unknown) => never {
  return (error) => {
    throw asHookguardError(error, 'body.malformed', `${what} threw`)
  }
}

async function validate(config: ReceiverConfig, described: Described): Promise<Described> {
  let result
  try {
    result = await config.schema!['~standard'].validate(described.payload)
  } catch (error) {
    throw new HookguardError('payload.invalid', { reason: 'schema validation threw', cause: error })
  }
  if (result.issues) {
    throw new HookguardError('payload.invalid', {
      reason: `payload failed schema validation (${result.issues.length} issues)`,
    })
  }
  return { payload: result.value, description: described.description }
}

function parse(config: ReceiverConfig, request: ProviderRequest): unknown {
  try {
    const payload = config.provider.parse ? config.provider.parse(request) : parseJson(request.body)
    return payload instanceof Promise ? payload.catch(malformed('parse')) : payload
  } catch (error) {
    return malformed('parse')(error)
  }
}

function describeParsed(
  config: ReceiverConfig,
  request: ProviderRequest,
  verification: Verification,
  payload: unknown,
): Described | Promise<Described> {
  let description: EventDescription | Promise<EventDescription>
  try {
    description = config.provider.describe(payload, request, verification)
  } catch (error) {
    return malformed('describe')(error)
  }
  const described = (value: EventDescription): Described | Promise<Described> => {
    const result = { payload, description: value }
    return config.schema && !value.handshake ? validate(config, result) : result
  }
  return description instanceof Promise ? description.then(described, malformed('describe')) : described(description)
}

export function describe(
  config: ReceiverConfig,
  delivery: Delivery,
  verification: Verification,
): Described | Promise<Described> {
  const request = delivery.request!
  const payload = parse(config, request)
  return payload instanceof Promise
    ? payload.then((value) => describeParsed(config, request, verification, value))
    : describeParsed(config, request, verification, payload)
}
