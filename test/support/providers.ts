/**
 * One fixture per provider: how to build it with a test secret and a body
 * it accepts. The adapter case table, the parser property tests and the
 * testing-helper tests all iterate this list, so a provider added here is
 * covered by all of them.
 *
 * To add a provider: append an entry to FIXTURES (keep the existing ones).
 */
import { github, hmac, standardWebhooks, stripe, type Provider } from '../../src/index.js'

export interface ProviderFixture {
  /** Test title. */
  name: string
  /** A provider with a valid test secret; `options` are merged into the factory's options. */
  make(options?: Record<string, unknown>): Provider
  /** A body this provider accepts, carrying the event id `id` where the id comes from the body. */
  body(id: string): string
  /** Whether a stale/future timestamp is rejected (false for schemes with no signed timestamp). */
  timestamped: boolean
  /** Where the provider signs a URL (Twilio), the URL to sign. */
  url?: string
}

export const FIXTURES: ProviderFixture[] = [
  {
    name: 'standardWebhooks',
    make: (o = {}) => standardWebhooks({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ...o }),
    body: (id) => JSON.stringify({ type: 'invoice.paid', data: { ref: id } }),
    timestamped: true,
  },
  {
    name: 'stripe',
    make: (o = {}) => stripe({ secret: 'whsec_test_4eC39HqLyjWDarjtT1zdp7dc', ...o }),
    body: (id) => JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', data: { object: {} } }),
    timestamped: true,
  },
  {
    name: 'github',
    make: (o = {}) => github({ secret: "It's a Secret to Everybody", ...o }),
    body: (id) => JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: id }),
    timestamped: false,
  },
  {
    name: 'hmac',
    make: (o = {}) =>
      hmac({
        secret: 'in-house-secret-0123456789',
        signatureHeader: 'X-Signature',
        prefix: 'sha256=',
        timestampHeader: 'X-Timestamp',
        idHeader: 'X-Event-Id',
        typeField: 'type',
        ...o,
      }),
    body: (id) => JSON.stringify({ type: 'order.created', ref: id }),
    timestamped: true,
  },
]
