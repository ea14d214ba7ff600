/**
 * A schema's type reaches the handler through every adapter: no `any`.
 */
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { hookguard as express } from '../../adapters/express.js'
import { hookguard as fetchAdapter } from '../../adapters/fetch.js'
import { hookguard as hono } from '../../adapters/hono.js'
import { hookguard as koa } from '../../adapters/koa.js'
import { hookguard as node } from '../../adapters/node.js'
import { createReceiver, hmac, stripe, type WebhookEvent } from '../../src/index.js'

const provider = stripe({ secret: 'whsec_test_types_0123456789abcdef' })
const schema = z.object({ id: z.string(), type: z.literal('invoice.paid'), data: z.object({ amount: z.number() }) })
type Payload = z.infer<typeof schema>

describe('payload types through the adapters', () => {
  it('createReceiver infers the payload from the schema', () => {
    const receiver = createReceiver({
      provider,
      schema,
      handler: (event) => {
        expectTypeOf(event).toEqualTypeOf<WebhookEvent<Payload>>()
        expectTypeOf(event.payload.data.amount).toEqualTypeOf<number>()
      },
    })
    expectTypeOf(receiver.handle).parameter(1).exclude<undefined>().toHaveProperty('deliver')
  })

  it('every adapter takes options with a schema and types the handler', () => {
    const check = (event: WebhookEvent<Payload>): void => {
      expectTypeOf(event.payload.type).toEqualTypeOf<'invoice.paid'>()
    }
    express({ provider, schema, handler: (event) => check(event) })
    koa({ provider, schema, handler: (event) => check(event) })
    hono({ provider, schema, handler: (event) => check(event) })
    fetchAdapter({ provider, schema, handler: (event) => check(event) })
    node({ provider, schema, handler: (event) => check(event) })
  })

  it('handlers by type are typed by the schema too', () => {
    createReceiver({
      provider,
      schema,
      handlers: {
        'invoice.paid': (event) => {
          expectTypeOf(event.payload).toEqualTypeOf<Payload>()
        },
      },
    })
  })

  it('without a schema a generic provider gives unknown, never any', () => {
    createReceiver({
      provider: hmac({ secret: 'generic-hmac-secret-0123456789', signatureHeader: 'x-signature', idField: 'id' }),
      handler: (event) => {
        expectTypeOf(event.payload).toBeUnknown()
      },
    })
  })
})
