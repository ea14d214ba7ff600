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
import { adyen, braintree, calendly, coinbaseCommerce, hubspot, lemonSqueezy } from '../../src/index.js'
import { razorpay, typeform, wooCommerce, zendesk } from '../../src/index.js'
import { asana, box, dropbox, meta, okta, plaid, telegram, trello } from '../../src/index.js'
import { bitbucket, brex, clerk, contentful, docusign, mandrill, mux, netlify } from '../../src/index.js'
import { pagerduty, postmark, resend, sanity, sentry, vercel } from '../../src/index.js'
import { PAYPAL_TEST, servingFetcher } from '../fixtures/paypal/index.js'
import { PLAID_TEST, servingKeyFetcher } from '../fixtures/plaid/index.js'

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
   * Where the scheme signs a lossy form of the body (Trello's documented
   * "binary string": each UTF-16 unit cut to its low byte), that form; a body
   * change that leaves it as it was is no forgery the scheme can see.
   * Undefined for a body that has no such form. Default: the bytes themselves.
   */
  signedForm?(body: Uint8Array): Uint8Array | undefined
  /**
   * How the sender spells its signature: lower-case hex or padded standard
   * base64. The canonical-decoding properties respell it every other way.
   * Absent where nothing is decoded (GitLab's token).
   */
  signatureEncoding?: 'hex' | 'base64'
}

/**
 * Trello's binary string of a UTF-8 body, written from its documentation
 * rather than from src/: the text's UTF-16 units, each cut to its low byte.
 * A body that is not strict UTF-8 has none.
 */
function trelloBinaryString(body: Uint8Array): Uint8Array | undefined {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    return undefined
  }
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff
  return out
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
  // Batch B: payments, commerce and business apps.
  {
    // The id is sha256:<hex of the body>; the body carries `id` so different ids differ.
    name: 'lemonSqueezy',
    signatureEncoding: 'hex',
    make: (o = {}) => lemonSqueezy({ secret: 'ls_whsec_8fK2mQ9xT4vB7nR1', ...o }),
    body: (id) =>
      JSON.stringify({
        meta: { event_name: 'order_created', custom_data: { ref: id } },
        data: { type: 'orders', id: '1', attributes: { identifier: id, status: 'paid' } },
      }),
    timestamped: false,
  },
  {
    // The id comes from x-razorpay-event-id, which signRequest sets from `id`; the MAC is the dedupe key.
    name: 'razorpay',
    signatureEncoding: 'hex',
    make: (o = {}) => razorpay({ secret: 'rzp_whsec_5tG8kL2pQ7wE', ...o }),
    body: (id) =>
      JSON.stringify({
        entity: 'event',
        account_id: 'acc_BFQ7uQEaa7j2z7',
        event: 'payment.captured',
        contains: ['payment'],
        payload: { payment: { entity: { id: `pay_${id}`, amount: 5000, currency: 'INR' } } },
        created_at: 1700000000,
      }),
    timestamped: false,
  },
  {
    name: 'coinbaseCommerce',
    signatureEncoding: 'hex',
    make: (o = {}) => coinbaseCommerce({ secret: '2c7b4f0e-8d1a-4e3b-9f6c-5a0d7e2b1c48', ...o }),
    body: (id) =>
      JSON.stringify({
        id: 1,
        scheduled_for: '2023-11-14T22:13:20Z',
        attempt_number: 1,
        event: { id, resource: 'event', type: 'charge:confirmed', api_version: '2018-03-22', data: { code: 'C1' } },
      }),
    timestamped: false,
  },
  {
    // The id comes from X-WC-Webhook-Delivery-ID, which signRequest sets from `id`; the MAC is the dedupe key.
    name: 'wooCommerce',
    signatureEncoding: 'base64',
    make: (o = {}) => wooCommerce({ secret: 'wc_sec_Jq3vN8xR2mT6', ...o }),
    body: (id) => JSON.stringify({ id: 42, status: 'processing', order_key: `wc_order_${id}` }),
    timestamped: false,
  },
  {
    // The signature sits in the body and covers 8 fields of the item only, not the body's other bytes.
    name: 'adyen',
    signatureEncoding: 'base64',
    make: (o = {}) => adyen({ secret: '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056', ...o }),
    body: (id) =>
      JSON.stringify({
        live: 'false',
        notificationItems: [
          {
            NotificationRequestItem: {
              pspReference: id,
              merchantAccountCode: 'TestMerchant',
              merchantReference: 'order-1',
              amount: { value: 1130, currency: 'EUR' },
              eventCode: 'AUTHORISATION',
              success: 'true',
              eventDate: '2023-11-14T22:13:20+01:00',
            },
          },
        ],
      }),
    timestamped: false,
    bodySigned: false,
    signatureInBody: true,
  },
  {
    // Signs method + URL (with HubSpot's escapes decoded) + body + ms timestamp.
    name: 'hubspot',
    signatureEncoding: 'base64',
    make: (o = {}) => hubspot({ secret: '6d3f0a2e-9b7c-4e1d-8a5f-3c2b1e0d9f7a', ...o }),
    body: (id) =>
      JSON.stringify([
        {
          eventId: 100,
          subscriptionId: 2345,
          portalId: 62515,
          appId: 54321,
          occurredAt: 1700000000000,
          subscriptionType: 'contact.propertyChange',
          attemptNumber: 0,
          objectId: 123,
          propertyName: 'email',
          propertyValue: id,
          changeSource: 'CRM',
        },
      ]),
    timestamped: true,
    url: 'https://hooks.example.com/hubspot?portalId=62515&userEmail=a%40example.com',
  },
  {
    name: 'typeform',
    signatureEncoding: 'base64',
    make: (o = {}) => typeform({ secret: 'tf_secret_Zr7pW2kQ9s', ...o }),
    body: (id) =>
      JSON.stringify({
        event_id: id,
        event_type: 'form_response',
        form_response: { form_id: 'lT4Z3j', token: 'a3a12ec67a1365927098a606107fac15', answers: [] },
      }),
    timestamped: false,
  },
  {
    // The id is sha256:<hex of the body>; the body carries `id` so different ids differ.
    name: 'calendly',
    signatureEncoding: 'hex',
    make: (o = {}) => calendly({ secret: 'cal_sk_Hn4rV8tY2qW6', ...o }),
    body: (id) =>
      JSON.stringify({
        event: 'invitee.created',
        created_at: '2023-11-14T22:13:20.000000Z',
        created_by: 'https://api.calendly.com/users/AAAA',
        payload: { uri: `https://api.calendly.com/scheduled_events/EV/invitees/${id}`, email: 'a@example.com' },
      }),
    timestamped: true,
  },
  {
    // An event-subscription body: its signed `id` is the event id.
    name: 'zendesk',
    signatureEncoding: 'base64',
    make: (o = {}) => zendesk({ secret: 'dGhpc2lzYXplbmRlc2tzZWNyZXQ0Mg', ...o }),
    body: (id) =>
      JSON.stringify({
        type: 'zen:event-type:ticket.created',
        account_id: 12514403,
        id,
        time: '2023-11-14T22:13:20Z',
        zendesk_event_version: '2022-11-06',
        subject: 'zen:ticket:35',
        detail: { id: '35', status: 'NEW' },
        event: {},
      }),
    timestamped: true,
  },
  {
    // The MAC covers the decoded bt_payload, not the body bytes: a percent escape respelt ('%2B' → '%2b') still verifies.
    name: 'braintree',
    signatureEncoding: 'hex',
    make: (o = {}) =>
      braintree({ publicKey: 'hookguard_public_key', secret: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', ...o }),
    body: (id) =>
      '<notification>\n<timestamp type="datetime">2023-11-14T22:13:20Z</timestamp>\n' +
      `<kind>subscription_went_past_due</kind>\n<subject><subscription><id>${id}</id></subscription></subject>\n` +
      '</notification>\n',
    timestamped: false,
    bodySigned: false,
    signatureInBody: true,
  },
  {
    // WhatsApp-style batch; the id is sha256:<hex of the body>, so the body carries `id` to tell events apart.
    name: 'meta',
    signatureEncoding: 'hex',
    make: (o = {}) => meta({ secret: 'a3f5c7e9b1d3f5a7c9e1b3d5f7a9c1e3', verifyToken: 'hookguard-verify-token', ...o }),
    body: (id) =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          { id: '102290129340398', changes: [{ field: 'messages', value: { messages: [{ id: `wamid.${id}` }] } }] },
        ],
      }),
    timestamped: false,
  },
  {
    // The secret is the X-Hook-Secret of Asana's documented handshake; the id is sha256:<hex of the body>.
    name: 'asana',
    signatureEncoding: 'hex',
    make: (o = {}) => asana({ secret: 'b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81', ...o }),
    body: (id) =>
      JSON.stringify({
        events: [
          {
            user: { gid: '1201', resource_type: 'user' },
            created_at: '2023-11-14T22:13:20.000Z',
            action: 'changed',
            resource: { gid: id, resource_type: 'task' },
          },
        ],
      }),
    timestamped: false,
  },
  {
    // Trello signs body + callback URL; without callbackUrl the request's absolute URL is used.
    name: 'trello',
    signatureEncoding: 'base64',
    make: (o = {}) => trello({ secret: 'e3c1b0f9a8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1', ...o }),
    body: (id) =>
      JSON.stringify({
        action: { id, type: 'updateCard', data: { card: { id: '5a1' } } },
        model: { id: '4d5ea62fd76aa1136000000c' },
      }),
    timestamped: false,
    url: 'https://hooks.example.com/trello',
    signedForm: trelloBinaryString,
  },
  {
    // A token, not a MAC: the body is not covered. update_id is a number, so the fixture id is hashed to one.
    name: 'telegram',
    make: (o = {}) => telegram({ secret: 'hookguard_Telegram-token_0123456789', ...o }),
    body: (id) =>
      JSON.stringify({
        update_id: [...id].reduce((n, c) => (n * 31 + c.charCodeAt(0)) % 2 ** 31, 7),
        message: { message_id: 1, date: 1700000000, chat: { id: 42, type: 'private' }, text: id },
      }),
    timestamped: false,
    bodySigned: false,
  },
  {
    // By default every delivery is a new event (random id); a year-long coalesceMs slot makes a resend a duplicate, with one id on every adapter.
    name: 'dropbox',
    signatureEncoding: 'hex',
    make: (o = {}) => dropbox({ secret: 'k5dh3l1r7wsy0bn', coalesceMs: 365 * 86_400_000, ...o }),
    body: (id) => JSON.stringify({ list_folder: { accounts: [`dbid:${id}`] }, delta: { users: [12345] } }),
    timestamped: false,
  },
  {
    // The primary key of Box's SDK test; one key, so only BOX-SIGNATURE-PRIMARY is sent.
    name: 'box',
    signatureEncoding: 'base64',
    make: (o = {}) => box({ secret: 'SamplePrimaryKey', ...o }),
    body: (id) =>
      JSON.stringify({
        type: 'webhook_event',
        id,
        created_at: '2023-11-14T14:13:20-08:00',
        trigger: 'FILE.UPLOADED',
        webhook: { id: '53', type: 'webhook' },
        source: { id: '73835521473', type: 'file' },
      }),
    timestamped: true,
  },
  {
    // A shared secret in the Authorization header, not a MAC: the body is not covered.
    name: 'okta',
    make: (o = {}) => okta({ secret: 'hookguard-okta-shared-secret', ...o }),
    body: (id) =>
      JSON.stringify({
        eventType: 'com.okta.event_hook',
        eventTypeVersion: '1.0',
        eventId: id,
        eventTime: '2023-11-14T22:13:20.000Z',
        data: { events: [{ uuid: id, eventType: 'user.session.start' }] },
      }),
    timestamped: false,
    bodySigned: false,
  },
  {
    // Offline: a self-made P-256 key served by an in-memory fetcher. The signature is a JWT (base64url, not decoded here).
    name: 'plaid',
    make: (o = {}) =>
      plaid({
        fetchKey: servingKeyFetcher({ [PLAID_TEST.kid]: PLAID_TEST.jwk }),
        signing: { privateKey: PLAID_TEST.privateKey, kid: PLAID_TEST.kid },
        ...o,
      }),
    body: (id) =>
      JSON.stringify({
        webhook_type: 'TRANSACTIONS',
        webhook_code: 'SYNC_UPDATES_AVAILABLE',
        item_id: id,
        environment: 'sandbox',
      }),
    timestamped: true,
  },
  // Batch C: developer tools, content, e-signature and email.
  {
    // The id comes from X-Request-UUID, which signRequest sets from `id`; the MAC is the dedupe key.
    name: 'bitbucket',
    signatureEncoding: 'hex',
    make: (o = {}) => bitbucket({ secret: 'bb-webhook-secret-7Hq2Lx9', ...o }),
    body: (id) => JSON.stringify({ push: { changes: [{ new: { name: 'main', target: { hash: id } } }] } }),
    timestamped: false,
  },
  {
    // The id comes from Request-ID, which signRequest sets from `id`; the MAC is the dedupe key.
    name: 'sentry',
    signatureEncoding: 'hex',
    make: (o = {}) => sentry({ secret: 'a9f3c1e7b5d2f8a4c6e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4', ...o }),
    body: (id) =>
      JSON.stringify({
        action: 'created',
        installation: { uuid: '7a485448-a9e2-4c85-8a3c-4f44175783c9' },
        data: { issue: { id, title: 'TypeError' } },
        actor: { type: 'application', id: 'sentry', name: 'Sentry' },
      }),
    timestamped: false,
  },
  {
    // The secret of go-pagerduty's webhookv3 test.
    name: 'pagerduty',
    signatureEncoding: 'hex',
    make: (o = {}) => pagerduty({ secret: 'lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK', ...o }),
    body: (id) =>
      JSON.stringify({
        event: {
          id,
          event_type: 'incident.triggered',
          resource_type: 'incident',
          occurred_at: '2023-11-14T22:13:20.000Z',
          data: { id: 'PGR0VU2', type: 'incident' },
        },
      }),
    timestamped: false,
  },
  {
    name: 'vercel',
    signatureEncoding: 'hex',
    make: (o = {}) => vercel({ secret: 'vercel-whsec-Qm7Tz2Kp9Lx4', ...o }),
    body: (id) =>
      JSON.stringify({
        id,
        type: 'deployment.created',
        createdAt: 1700000000000,
        payload: { deployment: { id: 'd1' } },
      }),
    timestamped: false,
  },
  {
    // A JWS (base64url), not decoded by the canonical-encoding checks. The id is sha256:<hex of the body>.
    name: 'netlify',
    make: (o = {}) => netlify({ secret: 'netlify-jws-token-4Kx9Pq', ...o }),
    body: (id) => JSON.stringify({ id: '5ebc34bf4fea0b01f02efa3a', state: 'ready', commit_ref: id }),
    timestamped: false,
  },
  {
    name: 'mux',
    signatureEncoding: 'hex',
    make: (o = {}) => mux({ secret: 'mux-whsec-R8t2Lq6Vn3Wp', ...o }),
    body: (id) =>
      JSON.stringify({
        id,
        type: 'video.asset.ready',
        created_at: '2023-11-14T22:13:20.000000Z',
        object: { type: 'asset', id: 'a1' },
        data: { id: 'a1', status: 'ready' },
      }),
    timestamped: true,
  },
  {
    // The canonical request covers method, path, the signed headers and the body; the id is the idempotency key.
    name: 'contentful',
    signatureEncoding: 'hex',
    make: (o = {}) => contentful({ secret: 'hookguard-contentful-signing-secret-0123456789-ABCDEFGHIJKLMNOPQ', ...o }),
    body: (id) => JSON.stringify({ sys: { id, type: 'Entry', version: 3 }, fields: { title: { 'en-US': 'Hello' } } }),
    timestamped: true,
    url: 'https://hooks.example.com/contentful',
  },
  {
    // base64url signatures, checked for canonical spelling in test/providers/sanity.test.ts. The id is idempotency-key.
    name: 'sanity',
    make: (o = {}) => sanity({ secret: 'sanity-webhook-secret-9Xq', ...o }),
    body: (id) => JSON.stringify({ _id: id, _type: 'post', title: 'Hello' }),
    timestamped: true,
  },
  {
    name: 'docusign',
    signatureEncoding: 'base64',
    make: (o = {}) => docusign({ secret: 'tQ2b5Xq7Yb0pZ9m3Lk8Vw4Rf6Hs1Jd2Gc5Nb8Ma0Pe4=', ...o }),
    body: (id) =>
      JSON.stringify({
        event: 'envelope-completed',
        apiVersion: 'v2.1',
        uri: `/restapi/v2.1/accounts/acc1/envelopes/${id}`,
        retryCount: 0,
        configurationId: 10418,
        generatedDateTime: '2023-11-14T22:13:20.1234567Z',
        data: { accountId: 'acc1', userId: 'u1', envelopeId: id },
      }),
    timestamped: false,
  },
  {
    // Basic auth, not a MAC: the body is not covered.
    name: 'postmark',
    make: (o = {}) => postmark({ username: 'postmark', password: 'hookguard-postmark-password-42', ...o }),
    body: (id) =>
      JSON.stringify({
        RecordType: 'Delivery',
        MessageID: id,
        Recipient: 'john@example.com',
        DeliveredAt: '2023-11-14T22:13:20Z',
        MessageStream: 'outbound',
      }),
    timestamped: false,
    bodySigned: false,
  },
  {
    // Form body without '+' or '%': Mandrill signs decoded parameters, so other spellings of one value would verify.
    name: 'mandrill',
    signatureEncoding: 'base64',
    make: (o = {}) => mandrill({ secret: 'mandrill-webhook-key-Xr4Tq8Zp', ...o }),
    body: (id) =>
      'mandrill_events=' +
      JSON.stringify([{ event: 'send', _id: id, ts: 1700000000, msg: { email: 'a@example.com', state: 'sent' } }]),
    timestamped: false,
    url: 'https://hooks.example.com/mandrill',
  },
  {
    name: 'clerk',
    signatureEncoding: 'base64',
    make: (o = {}) => clerk({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ...o }),
    body: (id) => JSON.stringify({ type: 'user.created', object: 'event', data: { id: `user_${id}` } }),
    timestamped: true,
  },
  {
    name: 'resend',
    signatureEncoding: 'base64',
    make: (o = {}) => resend({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ...o }),
    body: (id) =>
      JSON.stringify({ type: 'email.delivered', created_at: '2023-11-14T22:13:20Z', data: { email_id: id } }),
    timestamped: true,
  },
  {
    name: 'brex',
    signatureEncoding: 'base64',
    make: (o = {}) => brex({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', ...o }),
    body: (id) => JSON.stringify({ event_type: 'TRANSFER_PROCESSED', transfer_id: id, company_id: 'c1' }),
    timestamped: true,
  },
]
