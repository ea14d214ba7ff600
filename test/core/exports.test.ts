import { describe, expect, it } from 'vitest'
import * as bullmq from '../../src/bullmq.js'
import * as conformance from '../../src/conformance/index.js'
import * as core from '../../src/index.js'
import * as otel from '../../src/otel.js'
import * as postgres from '../../src/postgres.js'
import * as prometheus from '../../src/prometheus.js'
import * as redis from '../../src/redis.js'
import * as sqlite from '../../src/sqlite.js'
import * as testing from '../../src/testing.js'

// The public names are the package's face: adding one is a decision, removing one is a breaking change.
describe('public exports', () => {
  it.each([
    [
      'hookguard',
      core,
      [
        'ERROR_CODES',
        'HookguardError',
        'createReceiver',
        'createWorker',
        'discord',
        'github',
        'gitlab',
        'hmac',
        'intercom',
        'isHookguardError',
        'isReceiver',
        'linear',
        'mailgun',
        'memoryArchive',
        'memoryQueue',
        'memoryStore',
        'nodeCryptoBackend',
        'paddle',
        'paypal',
        'sendgrid',
        'shopify',
        'slack',
        'square',
        'standardWebhooks',
        'stripe',
        'twilio',
        'twitch',
        'webCryptoBackend',
        'zoom',
        // Batch B: payments, commerce and business apps.
        'adyen',
        'braintree',
        'calendly',
        'coinbaseCommerce',
        'hubspot',
        'lemonSqueezy',
        'razorpay',
        'typeform',
        'wooCommerce',
        'zendesk',
        // Batch A: handshakes and signatures that need care.
        'asana',
        'box',
        'dropbox',
        'instagram',
        'messenger',
        'meta',
        'okta',
        'plaid',
        'telegram',
        'trello',
        'whatsapp',
        // Batch C: developer tools, content, e-signature and email.
        'bitbucket',
        'brex',
        'clerk',
        'contentful',
        'docusign',
        'mandrill',
        'mux',
        'netlify',
        'pagerduty',
        'postmark',
        'resend',
        'sanity',
        'sentry',
        'vercel',
      ],
    ],
    ['hookguard/testing', testing, ['fixedClock', 'signRequest']],
    ['hookguard/sqlite', sqlite, ['sqliteArchive', 'sqliteQueue', 'sqliteStore']],
    ['hookguard/redis', redis, ['redisStore']],
    ['hookguard/bullmq', bullmq, ['bullmqQueue', 'bullmqWorker', 'jobIdForKey', 'keyForJobId']],
    [
      'hookguard/postgres',
      postgres,
      [
        'migratePostgresArchive',
        'migratePostgresQueue',
        'migratePostgresStore',
        'postgresArchive',
        'postgresQueue',
        'postgresStore',
      ],
    ],
    ['hookguard/otel', otel, ['otelMetrics', 'otelTracing']],
    ['hookguard/prometheus', prometheus, ['prometheusMetrics']],
    ['hookguard/conformance', conformance, ['describeQueueConformance', 'describeStoreConformance']],
  ])('%s exports exactly its documented names', (_entry, module, names) => {
    expect(Object.keys(module).sort()).toEqual([...names].sort())
  })

  it('every shared-secret factory refuses an empty secret at construction', () => {
    const factories = [
      'github',
      'gitlab',
      'hmac',
      'intercom',
      'linear',
      'mailgun',
      'paddle',
      'shopify',
      'slack',
      'square',
      'standardWebhooks',
      'stripe',
      'twilio',
      'twitch',
      'zoom',
      'adyen',
      'calendly',
      'coinbaseCommerce',
      'hubspot',
      'lemonSqueezy',
      'razorpay',
      'typeform',
      'wooCommerce',
      'zendesk',
      'asana',
      'box',
      'dropbox',
      'instagram',
      'messenger',
      'meta',
      'okta',
      'telegram',
      'trello',
      'whatsapp',
    ] as const
    for (const name of factories) {
      const factory = core[name] as (options: unknown) => unknown
      expect(() => factory({ secret: '', signatureHeader: 'x-signature' }), name).toThrow(TypeError)
    }
  })
})
