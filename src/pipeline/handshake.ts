/**
 * A handshake outside POST (Meta's GET, Trello's HEAD): the provider answers
 * it from the method, URL and headers; no body is read, nothing is stored.
 *
 * @module
 */
import type { HandleResult } from '../types/index.js'
import type { ReceiverConfig } from './config.js'
import type { Delivery } from './delivery.js'
import { asHookguardError } from './errors.js'
import * as respond from './respond.js'

export async function methodHandshake(config: ReceiverConfig, delivery: Delivery): Promise<HandleResult> {
  const provider = config.provider
  const method = delivery.method.toUpperCase()
  const request = { method, url: delivery.url, headers: delivery.headers, now: delivery.receivedAt }
  let answer
  try {
    answer = await provider.handshake!(request)
  } catch (error) {
    throw asHookguardError(error, 'signature.invalid', 'handshake threw')
  }
  const result = respond.handshake(config, delivery, answer, method)
  if (method === 'HEAD') result.body = ''
  return result
}
