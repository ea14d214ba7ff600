/**
 * For each CLI fixture: the flags and environment that let `hookguard sign`
 * and `send` sign it, and the provider that verifies it on the receiving
 * side (same keys; PayPal's certificate from the offline test chain).
 * Plaid has no fixture (see NO_FIXTURE in src/cli/fixtures/index.ts).
 */
import { readFileSync } from 'node:fs'
import {
  adyen,
  asana,
  bitbucket,
  box,
  braintree,
  brex,
  calendly,
  clerk,
  coinbaseCommerce,
  contentful,
  discord,
  docusign,
  dropbox,
  github,
  gitlab,
  hmac,
  hubspot,
  instagram,
  intercom,
  lemonSqueezy,
  linear,
  mailgun,
  mandrill,
  messenger,
  meta,
  mux,
  netlify,
  okta,
  paddle,
  pagerduty,
  paypal,
  postmark,
  razorpay,
  resend,
  sanity,
  sendgrid,
  sentry,
  shopify,
  slack,
  square,
  standardWebhooks,
  stripe,
  telegram,
  trello,
  twilio,
  twitch,
  typeform,
  vercel,
  whatsapp,
  wooCommerce,
  zendesk,
  zoom,
  type Provider,
} from '../../../src/index.js'
import { PAYPAL_TEST, servingFetcher } from '../../fixtures/paypal/index.js'

export interface CliProvider {
  /** Fixture (and provider) name. */
  name: string
  env: Record<string, string>
  /** Key flags, reading the keys from `env`. */
  args: string[]
  /** The provider that receives what the CLI signs. */
  verifier(): Provider
  /** Headers `sign` prints as `<secret>` (no `${VARIABLE}` can stand for them), with the value they stand for. */
  hidden?: Record<string, string>
}

const SECRETS = {
  stripe: 'whsec_cli_test_4eC39HqLyjWDarjtT1zdp7dc',
  github: 'gh-cli-test-secret-0123456789',
  gitlab: 'glpat-cli-test-token-0123456789',
  slack: '8f742231b10e8888abcd99yyyzzz85a5',
  shopify: 'shpss_cli_test_0123456789abcdef',
  twilio: '12345678901234567890123456789012',
  square: 'sq-cli-test-signature-key-012345',
  paddle: 'pdl_ntfset_cli_test_0123456789abcdef',
  linear: 'lin_wh_cli_test_0123456789abcdef',
  twitch: 'twitch-cli-test-secret-0123',
  zoom: 'zoom-cli-test-secret-token-0123',
  intercom: 'intercom-cli-test-client-secret-0123',
  mailgun: 'key-cli-test-mailgun-signing-0123456',
  hmac: 'hmac-cli-test-secret-0123456789ab',
  'standard-webhooks': 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  // Adyen's HMAC key is hex, as the Customer Area shows it.
  adyen: '44782def547aaa06c910c43932b1eb0c71fc68d9d0c057550c48ec2acf6ba056',
  asana: 'asana-cli-test-hook-secret-0123456789',
  bitbucket: 'bitbucket-cli-test-secret-0123',
  box: 'box-cli-test-primary-key-0123456',
  brex: 'whsec_YnJleC1jbGktdGVzdC1zZWNyZXQtMDEyMzQ1Njc=',
  calendly: 'calendly-cli-test-signing-key-0123',
  clerk: 'whsec_Y2xlcmstY2xpLXRlc3Qtc2VjcmV0LTAxMjM0NTY3',
  'coinbase-commerce': 'coinbase-cli-test-shared-secret-0123',
  // Contentful's signing secrets are exactly 64 characters.
  contentful: 'cfSigningSecretCliTest0123456789abcdefghijklmnopqrstuvwxyzABCDEF',
  docusign: 'docusign-cli-test-hmac-key-0123456789',
  dropbox: 'dbxclitest0123456',
  hubspot: 'hubspot-cli-test-client-secret-0123',
  instagram: 'instagram-cli-test-app-secret-0123',
  'lemon-squeezy': 'lemon-cli-test-secret-0123',
  mandrill: 'mandrill-cli-test-webhook-key-0123',
  messenger: 'messenger-cli-test-app-secret-0123',
  meta: 'meta-cli-test-app-secret-0123456789',
  mux: 'mux-cli-test-signing-secret-0123',
  netlify: 'netlify-cli-test-jws-secret-0123',
  okta: 'okta-cli-test-authentication-secret-0123',
  pagerduty: 'pagerduty-cli-test-secret-0123456789',
  razorpay: 'razorpay-cli-test-webhook-secret',
  resend: 'whsec_cmVzZW5kLWNsaS10ZXN0LXNlY3JldC0wMTIzNDU2Nw==',
  sanity: 'sanity-cli-test-webhook-secret-0123',
  sentry: 'sentry-cli-test-client-secret-0123456789',
  // Telegram's secret_token may hold only A-Z a-z 0-9 _ -.
  telegram: 'telegram_cli_test_secret_token_0123',
  trello: 'trello-cli-test-app-secret-0123456789',
  typeform: 'typeform-cli-test-secret-0123',
  vercel: 'vercel-cli-test-webhook-secret-0123',
  whatsapp: 'whatsapp-cli-test-app-secret-0123',
  'woo-commerce': 'woocommerce-cli-test-secret-0123456789',
  zendesk: 'zendesk-cli-test-signing-secret-0123456789',
}

const DISCORD = {
  publicKey: '96bab99ebcad86927c0cf42ab071f53667af0d76890b9515fbf25875ee527cae',
  privateKey: '6f9a1c3e5b7d2f4a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a',
}
const BRAINTREE = { publicKey: 'cli-test-public-key', privateKey: '0123456789abcdef0123456789abcdef' }
const POSTMARK = { username: 'postmark', password: 'postmark-cli-test-password-0123' }
const basicCredentials = Buffer.from(`${POSTMARK.username}:${POSTMARK.password}`).toString('base64')

const SENDGRID = {
  publicKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+Gt7tLW+WwBYlUIDeql5Fjx9Dv4PlrPPQ7nJWwbL0edTFfkQ0MM1mlXYryxToUH0j3yfi6i/jtEVxsFF11mErw==',
  privateKey:
    'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrRuN+ZDDW82qzzeC73LdB0hvAeQ+96qcfmCscTrUus2hRANCAAT4a3u0tb5bAFiVQgN6qXkWPH0O/g+Ws89DuclbBsvR51MV+RDQwzWaVdivLFOhQfSPfJ+LqL+O0RXGwUXXWYSv',
}

const hmacScheme = JSON.parse(readFileSync(new URL('../../../src/cli/fixtures/hmac.json', import.meta.url), 'utf8'))
  .providerOptions as Record<string, unknown>

function shared(name: keyof typeof SECRETS, make: (secret: string) => Provider): CliProvider {
  const variable = `HG_${name.replace(/-/g, '_').toUpperCase()}_SECRET`
  return {
    name,
    env: { [variable]: SECRETS[name] },
    args: ['--secret', `env:${variable}`],
    verifier: () => make(SECRETS[name]),
  }
}

export const CLI_PROVIDERS: CliProvider[] = [
  shared('stripe', (secret) => stripe({ secret })),
  shared('github', (secret) => github({ secret })),
  shared('gitlab', (secret) => gitlab({ secret })),
  shared('slack', (secret) => slack({ secret })),
  shared('shopify', (secret) => shopify({ secret })),
  shared('twilio', (secret) => twilio({ secret })),
  shared('square', (secret) => square({ secret })),
  shared('paddle', (secret) => paddle({ secret })),
  shared('linear', (secret) => linear({ secret })),
  shared('twitch', (secret) => twitch({ secret })),
  shared('zoom', (secret) => zoom({ secret })),
  shared('intercom', (secret) => intercom({ secret })),
  shared('mailgun', (secret) => mailgun({ secret })),
  shared('hmac', (secret) => hmac({ secret, ...hmacScheme } as never)),
  shared('standard-webhooks', (secret) => standardWebhooks({ secret })),
  shared('adyen', (secret) => adyen({ secret })),
  shared('asana', (secret) => asana({ secret })),
  shared('bitbucket', (secret) => bitbucket({ secret })),
  shared('box', (secret) => box({ secret })),
  shared('brex', (secret) => brex({ secret })),
  shared('calendly', (secret) => calendly({ secret })),
  shared('clerk', (secret) => clerk({ secret })),
  shared('coinbase-commerce', (secret) => coinbaseCommerce({ secret })),
  shared('contentful', (secret) => contentful({ secret })),
  shared('docusign', (secret) => docusign({ secret })),
  shared('dropbox', (secret) => dropbox({ secret })),
  shared('hubspot', (secret) => hubspot({ secret })),
  shared('instagram', (secret) => instagram({ secret })),
  shared('lemon-squeezy', (secret) => lemonSqueezy({ secret })),
  shared('mandrill', (secret) => mandrill({ secret })),
  shared('messenger', (secret) => messenger({ secret })),
  shared('meta', (secret) => meta({ secret })),
  shared('mux', (secret) => mux({ secret })),
  shared('netlify', (secret) => netlify({ secret })),
  shared('okta', (secret) => okta({ secret })),
  shared('pagerduty', (secret) => pagerduty({ secret })),
  shared('razorpay', (secret) => razorpay({ secret })),
  shared('resend', (secret) => resend({ secret })),
  shared('sanity', (secret) => sanity({ secret })),
  shared('sentry', (secret) => sentry({ secret })),
  shared('telegram', (secret) => telegram({ secret })),
  shared('trello', (secret) => trello({ secret })),
  shared('typeform', (secret) => typeform({ secret })),
  shared('vercel', (secret) => vercel({ secret })),
  shared('whatsapp', (secret) => whatsapp({ secret })),
  shared('woo-commerce', (secret) => wooCommerce({ secret })),
  shared('zendesk', (secret) => zendesk({ secret })),
  {
    name: 'braintree',
    env: { HG_BRAINTREE_PRIVATE: BRAINTREE.privateKey },
    args: ['--public-key', BRAINTREE.publicKey, '--secret', 'env:HG_BRAINTREE_PRIVATE'],
    verifier: () => braintree({ publicKey: BRAINTREE.publicKey, secret: BRAINTREE.privateKey }),
  },
  {
    name: 'postmark',
    env: { HG_POSTMARK_PASSWORD: POSTMARK.password },
    args: ['--option', `username=${POSTMARK.username}`, '--secret', 'env:HG_POSTMARK_PASSWORD'],
    verifier: () => postmark(POSTMARK),
    hidden: { authorization: `Basic ${basicCredentials}` },
  },
  {
    name: 'discord',
    env: { HG_DISCORD_PUBLIC: DISCORD.publicKey, HG_DISCORD_PRIVATE: DISCORD.privateKey },
    args: ['--public-key', 'env:HG_DISCORD_PUBLIC', '--private-key', 'env:HG_DISCORD_PRIVATE'],
    verifier: () => discord({ publicKey: DISCORD.publicKey }),
  },
  {
    name: 'sendgrid',
    env: { HG_SENDGRID_PUBLIC: SENDGRID.publicKey, HG_SENDGRID_PRIVATE: SENDGRID.privateKey },
    args: ['--public-key', 'env:HG_SENDGRID_PUBLIC', '--private-key', 'env:HG_SENDGRID_PRIVATE'],
    verifier: () => sendgrid({ publicKey: SENDGRID.publicKey }),
  },
  {
    name: 'paypal',
    env: { HG_PAYPAL_KEY: PAYPAL_TEST.leafKey },
    args: [
      '--webhook-id',
      PAYPAL_TEST.webhookId,
      '--private-key',
      'env:HG_PAYPAL_KEY',
      '--cert-url',
      PAYPAL_TEST.certUrl,
    ],
    verifier: () =>
      paypal({
        webhookId: PAYPAL_TEST.webhookId,
        fetchCertificate: servingFetcher({ [PAYPAL_TEST.certUrl]: PAYPAL_TEST.leaf + PAYPAL_TEST.intermediate }),
        trustedRoots: [PAYPAL_TEST.root],
      }),
  },
]

/** Every secret and private key above, to check that no output contains one. */
export const ALL_SECRETS: string[] = [
  ...CLI_PROVIDERS.flatMap((p) =>
    Object.entries(p.env)
      .filter(([name]) => !name.endsWith('_PUBLIC'))
      .map(([, value]) => value),
  ),
  // Postmark's Authorization header: base64 hides nothing, so it must not be printed either.
  basicCredentials,
]
