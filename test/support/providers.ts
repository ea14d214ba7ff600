/**
 * One fixture per provider: how to build it with a test secret and a body
 * it accepts. The adapter case table, the parser property tests and the
 * testing-helper tests all iterate this list, so a provider added here is
 * covered by all of them.
 *
 * To add a provider: append an entry to FIXTURES (keep the existing ones).
 */
import { github, hmac, standardWebhooks, stripe, type Provider } from '../../src/index.js'
import { intercom, linear, paddle, shopify, slack, square, twilio, twitch, zoom } from '../../src/index.js'
import { discord, paypal, sendgrid } from '../../src/index.js'
import { gitlab, mailgun } from '../../src/index.js'
import { PAYPAL_TEST, servingFetcher } from '../fixtures/paypal/index.js'

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
  /**
   * False for schemes whose signature does not cover the body (GitLab's
   * static token, Mailgun's timestamp + token): a changed body byte is then
   * no forgery the scheme can see, so the shared "tampered body" checks skip them.
   * Default true.
   */
  bodySigned?: boolean
  /** True where the signature travels inside the body (Mailgun), so no header carries it. Default false. */
  signatureInBody?: boolean
  /**
   * How the sender spells its signature: lower-case hex or padded standard
   * base64. The canonical-decoding properties respell it every other way.
   * Absent where nothing is decoded (GitLab's token).
   */
  signatureEncoding?: 'hex' | 'base64'
}

export const FIXTURES: ProviderFixture[] = [
  {
    name: 'standardWebhooks',
    signatureEncoding: 'base64',
    make: (o = {}) => standardWebhooks({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ...o }),
    body: (id) => JSON.stringify({ type: 'invoice.paid', data: { ref: id } }),
    timestamped: true,
  },
  {
    name: 'stripe',
    signatureEncoding: 'hex',
    make: (o = {}) => stripe({ secret: 'whsec_test_4eC39HqLyjWDarjtT1zdp7dc', ...o }),
    body: (id) => JSON.stringify({ id, object: 'event', type: 'payment_intent.succeeded', data: { object: {} } }),
    timestamped: true,
  },
  {
    name: 'github',
    signatureEncoding: 'hex',
    make: (o = {}) => github({ secret: "It's a Secret to Everybody", ...o }),
    body: (id) => JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: id }),
    timestamped: false,
  },
  {
    name: 'hmac',
    signatureEncoding: 'hex',
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
  {
    // Test-only key pair; privateKey lets hookguard/testing sign.
    name: 'discord',
    signatureEncoding: 'hex',
    make: (o = {}) =>
      discord({
        publicKey: '96bab99ebcad86927c0cf42ab071f53667af0d76890b9515fbf25875ee527cae',
        privateKey: '6f9a1c3e5b7d2f4a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a',
        ...o,
      }),
    body: (id) =>
      JSON.stringify({ id, type: 2, application_id: '11', token: 'tok', version: 1, data: { id: '1', name: 'ping' } }),
    timestamped: true,
  },
  {
    // v1a only: whpk_/whsk_ from the Standard Webhooks reference vector.
    name: 'standardWebhooks v1a',
    signatureEncoding: 'base64',
    make: (o = {}) =>
      standardWebhooks({
        publicKey: 'whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=',
        privateKey: 'whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=',
        ...o,
      }),
    body: (id) => JSON.stringify({ type: 'invoice.paid', data: { ref: id } }),
    timestamped: true,
  },
  {
    // Offline: a self-made certificate chain served by an in-memory fetcher.
    name: 'paypal',
    signatureEncoding: 'base64',
    make: (o = {}) =>
      paypal({
        webhookId: PAYPAL_TEST.webhookId,
        fetchCertificate: servingFetcher({ [PAYPAL_TEST.certUrl]: PAYPAL_TEST.leaf + PAYPAL_TEST.intermediate }),
        trustedRoots: [PAYPAL_TEST.root],
        signing: { privateKey: PAYPAL_TEST.leafKey, certUrl: PAYPAL_TEST.certUrl },
        ...o,
      }),
    body: (id) =>
      JSON.stringify({ id, event_version: '1.0', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: { id: 'CAP1' } }),
    timestamped: true,
  },
  {
    // The event id is sha256:<hex of the body>, not `id`: a batch has no id of its own.
    name: 'sendgrid',
    signatureEncoding: 'base64',
    make: (o = {}) =>
      sendgrid({
        publicKey:
          'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+Gt7tLW+WwBYlUIDeql5Fjx9Dv4PlrPPQ7nJWwbL0edTFfkQ0MM1mlXYryxToUH0j3yfi6i/jtEVxsFF11mErw==',
        privateKey:
          'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrRuN+ZDDW82qzzeC73LdB0hvAeQ+96qcfmCscTrUus2hRANCAAT4a3u0tb5bAFiVQgN6qXkWPH0O/g+Ws89DuclbBsvR51MV+RDQwzWaVdivLFOhQfSPfJ+LqL+O0RXGwUXXWYSv',
        ...o,
      }),
    body: (id) =>
      JSON.stringify([{ email: 'a@example.com', event: 'delivered', sg_event_id: id, timestamp: 1767225600 }]),
    timestamped: true,
  },
  {
    name: 'slack',
    signatureEncoding: 'hex',
    make: (o = {}) => slack({ secret: 'e3b7f1c09a5d4c62b8e1f0a2d4c6b8e1', ...o }),
    body: (id) =>
      JSON.stringify({
        type: 'event_callback',
        team_id: 'T1',
        event_id: id,
        event: { type: 'app_mention', text: 'hi' },
      }),
    timestamped: true,
  },
  {
    // The id comes from X-Shopify-Webhook-Id, which signRequest sets from `id`.
    name: 'shopify',
    signatureEncoding: 'base64',
    make: (o = {}) => shopify({ secret: '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', ...o }),
    body: (id) => JSON.stringify({ id: 820982911946154500, note: id }),
    timestamped: false,
  },
  {
    // Form body without '+' or '%': Twilio signs decoded parameters, so other spellings of one value would verify.
    name: 'twilio',
    signatureEncoding: 'base64',
    make: (o = {}) => twilio({ secret: '9f3b2c1d8e7a6f5b4c3d2e1f0a9b8c7d', ...o }),
    body: (id) => `MessageSid=SM${id}&MessageStatus=delivered&AccountSid=AC0123456789`,
    timestamped: false,
    url: 'https://hooks.example.com/twilio/status',
  },
  {
    name: 'paddle',
    signatureEncoding: 'hex',
    make: (o = {}) =>
      paddle({ secret: 'pdl_ntfset_01gkpjp8bkm3tm53kdgkx6sms7_6h3qd3uFSi9YCD3OLYAShQI90XTI5vEI', ...o }),
    body: (id) => JSON.stringify({ event_id: id, event_type: 'transaction.completed', data: { id: 'txn_1' } }),
    timestamped: true,
  },
  {
    // signRequest adds webhookTimestamp (ms) from its clock; the id is the Linear-Delivery header.
    name: 'linear',
    signatureEncoding: 'hex',
    make: (o = {}) => linear({ secret: 'lin_wh_5mTq2v8XkR1pN7bC4dF6gH9jL0zA3sW', ...o }),
    body: (id) => JSON.stringify({ type: 'Issue', action: 'create', data: { id } }),
    timestamped: true,
  },
  {
    name: 'twitch',
    signatureEncoding: 'hex',
    make: (o = {}) => twitch({ secret: 's3cRe7-eventsub-0123456789', ...o }),
    body: (id) =>
      JSON.stringify({
        subscription: { id, type: 'channel.follow', version: '2', status: 'enabled' },
        event: { user_id: '1337' },
      }),
    timestamped: true,
  },
  {
    // The id is sha256:<hex of the body>; the body carries `id` so different ids differ.
    name: 'zoom',
    signatureEncoding: 'hex',
    make: (o = {}) => zoom({ secret: 'pQ7vR2sT9uW4xY6zA1bC3d', ...o }),
    body: (id) =>
      JSON.stringify({ event: 'meeting.started', event_ts: 1700000000123, payload: { object: { uuid: id } } }),
    timestamped: true,
  },
  {
    name: 'square',
    signatureEncoding: 'base64',
    make: (o = {}) => square({ secret: 'asdf1234-Sq-signature-key-5tT7u9', ...o }),
    body: (id) =>
      JSON.stringify({
        merchant_id: '6SSW7HV8K2ST5',
        type: 'payment.updated',
        event_id: id,
        data: { type: 'payment', id: 'KkAk' },
      }),
    timestamped: false,
    url: 'https://hooks.example.com/square',
  },
  {
    name: 'intercom',
    signatureEncoding: 'hex',
    make: (o = {}) => intercom({ secret: '6a2d8f0e-4b1c-4e7a-9d3f-2c5b8a1e0f47', ...o }),
    body: (id) =>
      JSON.stringify({
        type: 'notification_event',
        id,
        topic: 'conversation.user.created',
        data: { item: { id: '147' } },
      }),
    timestamped: false,
  },
  {
    name: 'gitlab',
    make: (o = {}) => gitlab({ secret: 'glwt-7Qm2xK9pV4rT8sW1zN6b', ...o }),
    body: (id) => JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', checkout_sha: id }),
    timestamped: false,
    bodySigned: false,
  },
  {
    name: 'mailgun',
    signatureEncoding: 'hex',
    make: (o = {}) => mailgun({ secret: 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0', ...o }),
    body: (id) => JSON.stringify({ 'event-data': { event: 'delivered', id, recipient: 'alice@example.com' } }),
    timestamped: true,
    bodySigned: false,
    signatureInBody: true,
  },
]
