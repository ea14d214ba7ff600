/**
 * Type tests: factories carry their payload type (a type-only member of
 * Provider), taken from the optional type peers where they exist.
 */
import type { WebhookEvent as OctokitEvent } from '@octokit/webhooks-types'
import type Stripe from 'stripe'
import { describe, expectTypeOf, it } from 'vitest'
import {
  github,
  hmac,
  slack,
  stripe,
  type GitHubEvents,
  type Provider,
  type SlackEvents,
  type SlackPayload,
  type StripeEvents,
} from '../../src/index.js'

type PayloadOf<P> = P extends Provider<infer T> ? T : never

describe('provider payload types', () => {
  it('stripe() carries Stripe.Event from the stripe package', () => {
    const provider = stripe({ secret: 'whsec_test_0123456789abcdef' })
    expectTypeOf(provider).toEqualTypeOf<Provider<Stripe.Event, StripeEvents>>()
    expectTypeOf<PayloadOf<typeof provider>>().toEqualTypeOf<Stripe.Event>()
    expectTypeOf<
      Extract<PayloadOf<typeof provider>, { type: 'invoice.paid' }>['data']['object']
    >().toEqualTypeOf<Stripe.Invoice>()
  })

  it('hmac() carries unknown: a generic scheme knows nothing of its payload', () => {
    const provider = hmac({ secret: 'in-house-secret-0123456789', signatureHeader: 'x-sig' })
    expectTypeOf(provider).toEqualTypeOf<Provider<unknown>>()
    expectTypeOf<PayloadOf<typeof provider>>().toBeUnknown()
  })

  it('github() carries octokit’s webhook event union; slack() its Events API envelope', () => {
    expectTypeOf<PayloadOf<ReturnType<typeof github>>>().toEqualTypeOf<OctokitEvent>()
    expectTypeOf<PayloadOf<ReturnType<typeof slack>>>().toEqualTypeOf<SlackPayload>()
  })

  it('stripe(), github() and slack() carry their event maps; generic providers carry none', () => {
    type EventsOf<P> = P extends Provider<unknown, infer E> ? E : never
    expectTypeOf<EventsOf<ReturnType<typeof stripe>>>().toEqualTypeOf<StripeEvents>()
    expectTypeOf<StripeEvents['payment_intent.succeeded']>().toEqualTypeOf<Stripe.PaymentIntentSucceededEvent>()
    expectTypeOf<EventsOf<ReturnType<typeof github>>>().toEqualTypeOf<GitHubEvents>()
    expectTypeOf<EventsOf<ReturnType<typeof slack>>>().toEqualTypeOf<SlackEvents>()
    expectTypeOf<keyof EventsOf<ReturnType<typeof hmac>>>().toBeNever()
  })

  it('a typed provider still fits where any Provider is expected, but not the other way round', () => {
    expectTypeOf(stripe({ secret: 'whsec_test_0123456789abcdef' })).toExtend<Provider>()
    expectTypeOf<Provider<unknown>>().not.toExtend<Provider<Stripe.Event>>()
  })
})
