/**
 * For each CLI fixture: the flags and environment that let `hookguard sign`
 * and `send` sign it, and the provider that verifies it on the receiving
 * side (same keys; PayPal's certificate from the offline test chain).
 */
import { readFileSync } from 'node:fs'
import {
  discord,
  github,
  gitlab,
  hmac,
  intercom,
  linear,
  mailgun,
  paddle,
  paypal,
  sendgrid,
  shopify,
  slack,
  square,
  standardWebhooks,
  stripe,
  twilio,
  twitch,
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
}

const DISCORD = {
  publicKey: '96bab99ebcad86927c0cf42ab071f53667af0d76890b9515fbf25875ee527cae',
  privateKey: '6f9a1c3e5b7d2f4a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a',
}
const SENDGRID = {
  publicKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+Gt7tLW+WwBYlUIDeql5Fjx9Dv4PlrPPQ7nJWwbL0edTFfkQ0MM1mlXYryxToUH0j3yfi6i/jtEVxsFF11mErw==',
  privateKey:
    'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgrRuN+ZDDW82qzzeC73LdB0hvAeQ+96qcfmCscTrUus2hRANCAAT4a3u0tb5bAFiVQgN6qXkWPH0O/g+Ws89DuclbBsvR51MV+RDQwzWaVdivLFOhQfSPfJ+LqL+O0RXGwUXXWYSv',
}

const hmacScheme = JSON.parse(readFileSync(new URL('../../../src/cli/fixtures/hmac.json', import.meta.url), 'utf8'))
  .providerOptions as Record<string, unknown>

function shared(name: keyof typeof SECRETS, make: (secret: string) => Provider): CliProvider {
  const variable = `HG_${name.replace('-', '_').toUpperCase()}_SECRET`
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
export const ALL_SECRETS: string[] = CLI_PROVIDERS.flatMap((p) =>
  Object.entries(p.env)
    .filter(([name]) => !name.endsWith('_PUBLIC'))
    .map(([, value]) => value),
)
