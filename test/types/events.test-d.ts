/**
 * Type tests: handlers by type get the payload of their type. An exact key
 * gets that type's payload, `prefix.*` the union of the types it matches,
 * `*` the provider's whole payload; a key that matches no known type is an
 * error; generic providers give unknown; a schema's output wins over the
 * provider's types. No `any` reaches a handler.
 */
import type {
  IssuesEvent,
  IssuesOpenedEvent,
  PullRequestClosedEvent,
  PushEvent,
  WebhookEvent as OctokitEvent,
} from '@octokit/webhooks-types'
import type { AppMentionEvent } from '@slack/types'
import type Stripe from 'stripe'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  createReceiver,
  createWorker,
  github,
  hmac,
  memoryQueue,
  paddle,
  slack,
  stripe,
  type Receiver,
  type SlackEventCallback,
  type SlackOtherPayload,
  type SlackPayload,
  type WebhookEvent,
} from '../../src/index.js'

const stripeProvider = stripe({ secret: 'whsec_types_events_0123456789abcdef' })
const githubProvider = github({ secret: 'types-events-github-secret' })
const slackProvider = slack({ secret: 'types-events-slack-signing-secret' })
const generic = hmac({ secret: 'types-events-generic-secret-0123', signatureHeader: 'x-signature', idField: 'id' })

describe('stripe() handlers by type', () => {
  it('an exact type gets its event, prefix.* the union it matches, * every event', () => {
    const receiver = createReceiver({
      provider: stripeProvider,
      handlers: {
        'payment_intent.succeeded': (event) => {
          expectTypeOf(event).toEqualTypeOf<WebhookEvent<Stripe.PaymentIntentSucceededEvent>>()
          expectTypeOf(event.payload.data.object).toEqualTypeOf<Stripe.PaymentIntent>()
        },
        'invoice.*': (event) => {
          expectTypeOf(event.payload.type).toEqualTypeOf<Extract<Stripe.Event['type'], `invoice.${string}`>>()
          expectTypeOf(event.payload.data.object).toEqualTypeOf<Stripe.Invoice>()
        },
        'customer.subscription.*': (event) => {
          expectTypeOf(event.payload.data.object).toEqualTypeOf<Stripe.Subscription>()
        },
        // `customer.*` also matches `customer.subscription.*` and the rest, as it does at run time.
        'customer.*': (event) => {
          expectTypeOf(event.payload.type).toEqualTypeOf<Extract<Stripe.Event['type'], `customer.${string}`>>()
          expectTypeOf<'customer.subscription.created'>().toExtend<
            Extract<Stripe.Event['type'], `customer.${string}`>
          >()
        },
        '*': (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<Stripe.Event>()
        },
      },
    })
    expectTypeOf(receiver).toEqualTypeOf<Receiver<Stripe.Event>>()
  })

  it('a key that matches no known type is a type error (typos never silently go unhandled)', () => {
    createReceiver({
      provider: stripeProvider,
      handlers: {
        // @ts-expect-error: 'succeded' is not a Stripe event type
        'payment_intent.succeded': () => {},
      },
    })
    createReceiver({
      provider: stripeProvider,
      handlers: {
        // @ts-expect-error: no Stripe event type starts with 'paymentintent.'
        'paymentintent.*': () => {},
      },
    })
  })

  it('handler, ordering and the receiver carry Stripe.Event', () => {
    createReceiver({
      provider: stripeProvider,
      ordering: {
        entity: (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<Stripe.Event>()
          return event.payload.account ?? undefined
        },
        version: (event) => event.payload.created,
      },
      handler: (event) => {
        expectTypeOf(event.payload).toEqualTypeOf<Stripe.Event>()
        if (event.payload.type === 'charge.refunded')
          expectTypeOf(event.payload.data.object).toEqualTypeOf<Stripe.Charge>()
      },
    })
  })
})

describe('github() handlers by event and action', () => {
  it('issues.opened gets IssuesOpenedEvent, issues.* every issues action, push (no action) PushEvent', () => {
    const receiver = createReceiver({
      provider: githubProvider,
      handlers: {
        'issues.opened': (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<IssuesOpenedEvent>()
          expectTypeOf(event.payload.issue.number).toEqualTypeOf<number>()
        },
        'issues.*': (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<IssuesEvent>()
        },
        'pull_request.closed': (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<PullRequestClosedEvent>()
        },
        push: (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<PushEvent>()
        },
        '*': (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<OctokitEvent>()
        },
      },
    })
    expectTypeOf(receiver).toEqualTypeOf<Receiver<OctokitEvent>>()
  })

  it('an event that always has an action has no bare key, and unknown actions are errors', () => {
    createReceiver({
      provider: githubProvider,
      handlers: {
        // @ts-expect-error: issues deliveries are typed 'issues.<action>'
        issues: () => {},
      },
    })
    createReceiver({
      provider: githubProvider,
      handlers: {
        // @ts-expect-error: 'opend' is not an issues action
        'issues.opend': () => {},
      },
    })
  })
})

describe('slack() handlers by type', () => {
  it('Events API types get the envelope around their event; other types a plain object', () => {
    createReceiver({
      provider: slackProvider,
      handlers: {
        app_mention: (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<SlackEventCallback<AppMentionEvent>>()
          expectTypeOf(event.payload.event.text).toEqualTypeOf<string>()
        },
        block_actions: (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<SlackOtherPayload>()
        },
        '*': (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<SlackPayload>()
        },
      },
    })
  })
})

describe('providers without types, and schemas', () => {
  it('a generic provider gives unknown to every handler, under any key', () => {
    createReceiver({
      provider: generic,
      handlers: {
        'anything.at.all': (event) => expectTypeOf(event.payload).toBeUnknown(),
        'thing.*': (event) => expectTypeOf(event.payload).toBeUnknown(),
      },
    })
    createReceiver({
      provider: paddle({ secret: 'pdl_ntfset_types_0123456789' }),
      handler: (event) => {
        expectTypeOf(event.payload).toBeUnknown()
      },
    })
  })

  it('a schema narrows the payload of every handler, whatever the provider', () => {
    const schema = z.object({
      id: z.string(),
      type: z.string(),
      data: z.object({ object: z.object({ id: z.string() }) }),
    })
    type Payload = z.infer<typeof schema>
    const receiver = createReceiver({
      provider: stripeProvider,
      schema,
      handlers: {
        // With a schema the keys are free: the payload is what the schema says, for every type.
        'my.own.type': (event) => expectTypeOf(event.payload).toEqualTypeOf<Payload>(),
        '*': (event) => expectTypeOf(event.payload).toEqualTypeOf<Payload>(),
      },
      ordering: { entity: (event) => event.payload.data.object.id, version: () => undefined },
    })
    expectTypeOf(receiver).toEqualTypeOf<Receiver<Payload>>()
  })

  it('an annotated handler sets the payload type when there is no schema', () => {
    type Mine = { id: string; kind: 'mine' }
    const receiver = createReceiver({ provider: generic, handler: (event: WebhookEvent<Mine>) => event.payload.kind })
    expectTypeOf(receiver).toEqualTypeOf<Receiver<Mine>>()
  })
})

describe('createWorker', () => {
  it('keeps taking untyped handler maps', () => {
    createWorker({
      queue: memoryQueue(),
      handlers: { 'any.type': (event) => expectTypeOf(event.payload).toBeUnknown() },
    })
  })
})
