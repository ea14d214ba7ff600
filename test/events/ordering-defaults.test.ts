/**
 * The providers' ordering defaults (`ordering: true`), end to end through a
 * receiver: for each provider with one, a newer delivery of an entity is
 * handled, an older one that arrives afterwards is skipped as `stale`
 * (archived and counted), and one of equal version runs. Providers without
 * a default refuse `ordering: true` with a message that names the fix.
 */
import { describe, expect, it } from 'vitest'
import {
  brex,
  clerk,
  createReceiver,
  github,
  hmac,
  memoryArchive,
  memoryQueue,
  paddle,
  resend,
  shopify,
  slack,
  standardWebhooks,
  stripe,
  type Provider,
  type WebhookEvent,
} from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { countingMetrics, waitFor } from './support.js'

const NOW = Date.now()
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString()

interface Sent {
  body: string
  headers?: Record<string, string>
  timestamp?: number
}

interface Case {
  name: string
  provider: Provider
  /** A delivery of `entity` at version step `v` (0 oldest), with a fresh event id `n`. */
  make(n: number, entity: string, v: number): Sent
}

const stripeProvider = stripe({ secret: 'whsec_test_ordering_defaults_0123456' })
const shopifyProvider = shopify({ secret: 'shopify-ordering-defaults-secret' })
const paddleProvider = paddle({ secret: 'pdl_ntfset_ordering_defaults_0123456789' })
const standard = standardWebhooks({
  secret: 'whsec_' + Buffer.from('ordering-defaults-standard-key-1').toString('base64'),
})

const clerkProvider = clerk({ secret: 'whsec_' + Buffer.from('ordering-defaults-clerk-key-0001').toString('base64') })

const CASES: Case[] = [
  {
    name: 'stripe: data.object.id + created',
    provider: stripeProvider,
    make: (n, entity, v) => ({
      body: JSON.stringify({
        id: `evt_od_${n}`,
        object: 'event',
        type: 'payment_intent.processing',
        created: Math.floor(NOW / 1000) + v,
        data: { object: { id: entity, object: 'payment_intent' } },
      }),
    }),
  },
  {
    name: 'shopify: X-Shopify-Triggered-At, the resource gid',
    provider: shopifyProvider,
    make: (_n, entity, v) => ({
      body: JSON.stringify({ id: 820982911946154500, admin_graphql_api_id: entity, updated_at: iso(-v * 1000) }),
      // Shopify's own precision: nanoseconds (compared to the millisecond).
      headers: { 'x-shopify-topic': 'orders/updated', 'x-shopify-triggered-at': iso(v * 1000).replace('Z', '123456Z') },
    }),
  },
  {
    name: 'shopify (Events delivery headers): Shopify-Triggered-At',
    provider: shopifyProvider,
    make: (_n, entity, v) => ({
      body: JSON.stringify({ id: 7, admin_graphql_api_id: entity }),
      headers: { 'x-shopify-topic': 'products/update', 'shopify-triggered-at': iso(v * 1000) },
    }),
  },
  {
    name: 'shopify without the header: updated_at, and topic/id as the entity',
    provider: shopifyProvider,
    make: (_n, entity, v) => ({
      body: JSON.stringify({ id: Number(entity.replace(/\D/g, '')), updated_at: iso(v * 1000).replace('Z', '-05:00') }),
      headers: { 'x-shopify-topic': 'customers/update' },
    }),
  },
  {
    name: 'paddle: data.id + occurred_at',
    provider: paddleProvider,
    make: (n, entity, v) => ({
      body: JSON.stringify({
        event_id: `evt_od_${n}`,
        event_type: 'subscription.updated',
        occurred_at: iso(v * 1000).replace('Z', '621022Z'),
        notification_id: `ntf_od_${n}`,
        data: { id: entity, status: 'active' },
      }),
    }),
  },
  {
    name: 'standardWebhooks: data.id + the payload timestamp',
    provider: standard,
    make: (_n, entity, v) => ({
      body: JSON.stringify({ type: 'invoice.updated', timestamp: iso(v * 1000), data: { id: entity } }),
    }),
  },
  {
    name: 'standardWebhooks without a payload timestamp: the signed webhook-timestamp',
    provider: standard,
    make: (_n, entity, v) => ({
      body: JSON.stringify({ type: 'invoice.updated', data: { id: entity } }),
      timestamp: Math.floor(NOW / 1000) + v,
    }),
  },
  {
    name: 'clerk: data.id + the payload timestamp (ms)',
    provider: clerkProvider,
    make: (_n, entity, v) => ({
      body: JSON.stringify({ object: 'event', type: 'user.updated', timestamp: NOW + v, data: { id: entity } }),
    }),
  },
]

describe('ordering: true uses the provider default', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ran: number[] = []
      const queue = memoryQueue({ logger: false })
      const archive = memoryArchive()
      const metrics = countingMetrics()
      const receiver = createReceiver({
        provider: c.provider,
        queue,
        archive,
        metrics,
        ordering: true,
        logger: false,
        handler: (event: WebhookEvent) => void ran.push(Number(event.headers['x-step'])),
      })
      let n = 0
      const send = async (entity: string, v: number) => {
        const sent = c.make(++n, entity, v)
        const signed = await signRequest(c.provider, {
          body: sent.body,
          id: `od-${c.name.length}-${n}-${Math.random().toString(36).slice(2)}`,
          headers: { ...sent.headers, 'x-step': String(n) },
          ...(sent.timestamp !== undefined && { timestamp: sent.timestamp }),
        })
        const result = await receiver.handle({ method: 'POST', headers: signed.headers, body: sent.body })
        expect(result.status, result.body).toBe(200)
        await queue.idle()
        return n
      }
      const entityA = 'gid://shopify/Order/1001'
      const entityB = 'gid://shopify/Order/2002'
      const newest = await send(entityA, 20)
      const older = await send(entityA, 10)
      const equal = await send(entityA, 20)
      const otherEntity = await send(entityB, 5)
      expect(ran).toEqual([newest, equal, otherEntity])
      expect(metrics.runs).toMatchObject({ success: 3, stale: 1 })
      await receiver.close()
      await waitFor(async () => (await archive.stats()).byState.stale === 1, 'the stale state in the archive')
      expect((await archive.stats()).byState).toMatchObject({ handled: 3, stale: 1 })
      expect(older).toBe(2)
    })
  }
})

describe('which providers have a default', () => {
  it('stripe, shopify, paddle, standardWebhooks and clerk have one; github, slack, resend, brex and generic providers do not', () => {
    for (const provider of [stripeProvider, shopifyProvider, paddleProvider, standard, clerkProvider])
      expect(provider.ordering, provider.name).toBeDefined()
    const svixSecret = 'whsec_' + Buffer.from('ordering-defaults-svix-key-00001').toString('base64')
    const without = [
      github({ secret: 'ordering-defaults-github' }),
      slack({ secret: 'ordering-defaults-slack-signing-secret' }),
      // Their payloads carry no data.id (Resend: data.email_id) or no documented version.
      resend({ secret: svixSecret }),
      brex({ secret: svixSecret }),
      hmac({ secret: 'ordering-defaults-generic-0123456789', signatureHeader: 'x-sig', idField: 'id' }),
    ]
    for (const provider of without) {
      expect(provider.ordering).toBeUndefined()
      expect(() => createReceiver({ provider, ordering: true, logger: false })).toThrow(
        new RegExp(
          `${provider.name} has no default ordering; pass ordering: \\{ entity\\(event\\), version\\(event\\) \\}`,
        ),
      )
    }
  })

  it('defaults read defensively: no entity or no version leaves the event unguarded', () => {
    const event = (payload: unknown, extra: Partial<WebhookEvent> = {}): WebhookEvent => ({
      id: 'e',
      key: 'k:default:e',
      provider: 'x',
      receivedAt: 0,
      payload,
      headers: {},
      attempt: 1,
      ...extra,
    })
    const stripeOrdering = stripeProvider.ordering as NonNullable<Provider['ordering']>
    expect(stripeOrdering.entity(event({ type: 'balance.available', data: { object: { object: 'balance' } } }))).toBe(
      undefined,
    )
    expect(stripeOrdering.version(event({ created: '1700000000' }))).toBe(undefined)
    expect(stripeOrdering.entity(event(null))).toBe(undefined)
    const shopifyOrdering = shopifyProvider.ordering!
    expect(shopifyOrdering.entity(event({ id: 42 }, { type: 'orders/paid' }))).toBe('orders/42')
    expect(shopifyOrdering.entity(event({ id: 42 }))).toBe(undefined)
    expect(shopifyOrdering.version(event({ id: 42 }))).toBe(undefined)
    expect(paddleProvider.ordering!.entity(event({ data: ['txn_1'] }))).toBe(undefined)
    const standardOrdering = standard.ordering!
    expect(standardOrdering.version(event({ data: { id: 'x' } }, { timestamp: 1_700_000_000 }))).toBe(1_700_000_000)
    expect(standardOrdering.version(event({ timestamp: '2024-01-01T00:00:00Z' }, { timestamp: 1 }))).toBe(
      '2024-01-01T00:00:00Z',
    )
  })
})
