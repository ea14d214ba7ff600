/**
 * Type tests: the provider's payload and event map reach handlers by type
 * through every adapter, given options or a receiver; a schema still wins.
 */
import type { IssuesEvent, IssuesOpenedEvent, PushEvent, WebhookEvent as OctokitEvent } from '@octokit/webhooks-types'
import type Stripe from 'stripe'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { hookguard as express } from '../../adapters/express.js'
import { hookguard as fastify } from '../../adapters/fastify.js'
import { hookguard as fetchAdapter } from '../../adapters/fetch.js'
import { hookguard as hono } from '../../adapters/hono.js'
import { hookguard as koa } from '../../adapters/koa.js'
import { hookguard as node } from '../../adapters/node.js'
import { createReceiver, github, hmac, stripe, type WebhookEvent } from '../../src/index.js'

const stripeProvider = stripe({ secret: 'whsec_types_adapters_0123456789abcdef' })
const githubProvider = github({ secret: 'types-adapters-github-secret' })

const ADAPTERS = { express, fastify, fetchAdapter, hono, koa, node }

/** The same options object, written inline at each call so each adapter's inference is what is tested. */
describe('handlers by type through every adapter', () => {
  it('stripe(): the exact type, a prefix and * are typed', () => {
    const succeeded = (event: WebhookEvent<Stripe.PaymentIntentSucceededEvent>) => event.payload.data.object.amount
    const anyEvent = (event: WebhookEvent<Stripe.Event>) => event.payload.type
    const invoice = (object: Stripe.Invoice) => object.id
    express({
      provider: stripeProvider,
      handlers: {
        'payment_intent.succeeded': (event) => succeeded(event),
        'invoice.*': (event) => invoice(event.payload.data.object),
        '*': (event) => anyEvent(event),
      },
    })
    fastify(
      {
        provider: stripeProvider,
        handlers: {
          'payment_intent.succeeded': (event) => succeeded(event),
          'invoice.*': (event) => invoice(event.payload.data.object),
          '*': (event) => anyEvent(event),
        },
      },
      { path: '/webhooks/stripe' },
    )
    fetchAdapter({
      provider: stripeProvider,
      handlers: {
        'payment_intent.succeeded': (event) => succeeded(event),
        'invoice.*': (event) => invoice(event.payload.data.object),
        '*': (event) => anyEvent(event),
      },
    })
    hono({
      provider: stripeProvider,
      handlers: {
        'payment_intent.succeeded': (event) => succeeded(event),
        'invoice.*': (event) => invoice(event.payload.data.object),
        '*': (event) => anyEvent(event),
      },
    })
    koa({
      provider: stripeProvider,
      handlers: {
        'payment_intent.succeeded': (event) => succeeded(event),
        'invoice.*': (event) => invoice(event.payload.data.object),
        '*': (event) => anyEvent(event),
      },
    })
    node({
      provider: stripeProvider,
      handlers: {
        'payment_intent.succeeded': (event) => succeeded(event),
        'invoice.*': (event) => invoice(event.payload.data.object),
        '*': (event) => anyEvent(event),
      },
    })
  })

  it('github(): event.action keys and the bare push are typed', () => {
    const opened = (event: WebhookEvent<IssuesOpenedEvent>) => event.payload.issue.number
    const issues = (event: WebhookEvent<IssuesEvent>) => event.payload.action
    const push = (event: WebhookEvent<PushEvent>) => event.payload.ref
    const other = (event: WebhookEvent<OctokitEvent>) => event.id
    express({
      provider: githubProvider,
      handlers: {
        'issues.opened': (e) => opened(e),
        'issues.*': (e) => issues(e),
        push: (e) => push(e),
        '*': (e) => other(e),
      },
    })
    fastify(
      {
        provider: githubProvider,
        handlers: {
          'issues.opened': (e) => opened(e),
          'issues.*': (e) => issues(e),
          push: (e) => push(e),
          '*': (e) => other(e),
        },
      },
      { path: '/webhooks/github' },
    )
    fetchAdapter({
      provider: githubProvider,
      handlers: {
        'issues.opened': (e) => opened(e),
        'issues.*': (e) => issues(e),
        push: (e) => push(e),
        '*': (e) => other(e),
      },
    })
    hono({
      provider: githubProvider,
      handlers: {
        'issues.opened': (e) => opened(e),
        'issues.*': (e) => issues(e),
        push: (e) => push(e),
        '*': (e) => other(e),
      },
    })
    koa({
      provider: githubProvider,
      handlers: {
        'issues.opened': (e) => opened(e),
        'issues.*': (e) => issues(e),
        push: (e) => push(e),
        '*': (e) => other(e),
      },
    })
    node({
      provider: githubProvider,
      handlers: {
        'issues.opened': (e) => opened(e),
        'issues.*': (e) => issues(e),
        push: (e) => push(e),
        '*': (e) => other(e),
      },
    })
  })

  it('a typo in a handler key is an error through every adapter', () => {
    for (const adapter of [express, fetchAdapter, hono, koa, node]) {
      // @ts-expect-error: 'issues.opend' is not a GitHub event type
      adapter({ provider: githubProvider, handlers: { 'issues.opend': () => {} } })
    }
    // @ts-expect-error: 'issues.opend' is not a GitHub event type
    fastify({ provider: githubProvider, handlers: { 'issues.opend': () => {} } }, { path: '/hook' })
  })

  it('one handler gets the provider payload; a schema wins; a generic provider gives unknown', () => {
    const schema = z.object({ id: z.string(), type: z.string() })
    express({ provider: stripeProvider, handler: (event) => expectTypeOf(event.payload).toEqualTypeOf<Stripe.Event>() })
    koa({ provider: githubProvider, handler: (event) => expectTypeOf(event.payload).toEqualTypeOf<OctokitEvent>() })
    node({
      provider: stripeProvider,
      schema,
      handlers: { 'my.type': (event) => expectTypeOf(event.payload).toEqualTypeOf<z.infer<typeof schema>>() },
    })
    fetchAdapter({
      provider: hmac({ secret: 'types-adapters-generic-secret-01', signatureHeader: 'x-sig', idField: 'id' }),
      handlers: { 'any.type': (event) => expectTypeOf(event.payload).toBeUnknown() },
    })
  })

  it('a receiver passes its payload type on (inline handlers see it)', () => {
    const receiver = createReceiver({ provider: stripeProvider })
    fetchAdapter(receiver, {
      inline: (event) => expectTypeOf(event.payload).toEqualTypeOf<Stripe.Event>(),
    })
    expectTypeOf(ADAPTERS.hono(receiver)).toBeFunction()
  })
})
