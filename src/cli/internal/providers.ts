/**
 * Internal: a provider built from command-line flags. Each provider takes
 * its keys the way its factory does (`--secret`, `--public-key`, PayPal's
 * `--webhook-id`); `--option name=value` passes any other factory option
 * (`signatureHeader` for `hmac`, `dedupeBy` for `shopify` …). The factory
 * validates everything; its TypeError becomes a usage error (exit 2).
 *
 * @module
 */
import * as factories from '../../providers/index.js'
import type { Provider } from '../../types/index.js'
import { closest } from '../../internal/suggest.js'
import { listValue, stringValue, type OptionSpecs, type Values } from './args.js'
import { UsageError } from './errors.js'
import type { CliIo } from './io.js'
import { readSecret, type SecretValue } from './secrets.js'

/** How a provider takes its keys; 'any' for factories this table has no entry for. */
type KeyKind = 'secret' | 'public-key' | 'paypal' | 'standard' | 'basic-auth' | 'any'

interface Entry {
  create: (options: any) => Provider
  keys: KeyKind
  /** Signs the public URL (`--public-url`). */
  url?: boolean
}

/** Providers whose keys are not one `secret`, or that sign the URL. */
const SPECIAL: Record<string, Omit<Entry, 'create'>> = {
  'standard-webhooks': { keys: 'standard' },
  discord: { keys: 'public-key' },
  sendgrid: { keys: 'public-key' },
  paypal: { keys: 'paypal' },
  twilio: { keys: 'secret', url: true },
  square: { keys: 'secret', url: true },
  postmark: { keys: 'basic-auth' },
}

/** The shared-secret providers checked flag by flag; the others take whatever key flags are given. */
const SHARED_SECRET = new Set(
  'stripe github gitlab slack shopify paddle linear twitch zoom intercom mailgun hmac'.split(' '),
)

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
}

/** Every factory `hookguard` exports, by its kebab-case name (`lemonSqueezy` → `lemon-squeezy`). */
const PROVIDERS: Record<string, Entry> = {}
/** Other spellings: the export name lower-cased (`lemonsqueezy`), as provider names often are. */
const ALIASES: Record<string, string> = {}
for (const [exported, create] of Object.entries(factories)) {
  if (typeof create !== 'function') continue
  const name = kebab(exported)
  PROVIDERS[name] = {
    create: create as Entry['create'],
    ...(SPECIAL[name] ?? { keys: SHARED_SECRET.has(name) ? 'secret' : 'any' }),
  }
  if (exported.toLowerCase() !== name) ALIASES[exported.toLowerCase()] = name
}

export const PROVIDER_NAMES: readonly string[] = Object.keys(PROVIDERS).sort()

/** The flags that build a provider. */
export const PROVIDER_OPTIONS: OptionSpecs = {
  provider: { type: 'string', short: 'p' },
  secret: { type: 'string', short: 's' },
  'public-key': { type: 'string' },
  'private-key': { type: 'string' },
  'webhook-id': { type: 'string' },
  'cert-url': { type: 'string' },
  'public-url': { type: 'string' },
  tolerance: { type: 'string' },
  option: { type: 'string', multiple: true },
}

function wrapped(names: readonly string[], indent: number, width = 100): string {
  const lines: string[] = []
  let line = ''
  for (const name of names) {
    const next = line ? `${line}, ${name}` : name
    if (next.length + indent > width && line) {
      lines.push(`${line},`)
      line = name
    } else line = next
  }
  lines.push(line)
  return lines.join(`\n${' '.repeat(indent)}`)
}

export const PROVIDER_HELP = `Provider:
  -p, --provider NAME      ${wrapped(PROVIDER_NAMES, 27)}
  -s, --secret VALUE       signing secret: env:NAME (recommended), file:PATH or the value itself
                           (postmark: the basic-auth password, with --option username=NAME)
      --public-key VALUE   discord, sendgrid, standard-webhooks (whpk_…); same forms as --secret
      --private-key VALUE  to sign for discord, sendgrid, standard-webhooks (whsk_…), paypal (PKCS#8 PEM)
      --webhook-id ID      paypal: the webhook id
      --cert-url URL       paypal (signing): the certificate URL sent in PAYPAL-CERT-URL
      --public-url URL     twilio, square: the public URL the sender signs
      --tolerance SECONDS  timestamp tolerance, for schemes that sign one
      --option NAME=VALUE  any other factory option (repeatable; VALUE is JSON when it parses, else text),
                           e.g. --option signatureHeader=x-signature for hmac`

export interface BuiltProvider {
  provider: Provider
  /** Every secret and private key read, so printed output can be checked against them. */
  secrets: SecretValue[]
}

function requireProviderName(values: Values, fallback: string | undefined): { name: string; entry: Entry } {
  const given = stringValue(values, 'provider') ?? fallback
  if (given === undefined) throw new UsageError(`--provider is required (hookguard sign --help lists them)`)
  const name = PROVIDERS[given] ? given : (ALIASES[given.toLowerCase()] ?? given)
  const entry = PROVIDERS[name]
  if (!entry) {
    const guess = closest(given, PROVIDER_NAMES)
    throw new UsageError(`unknown provider ${JSON.stringify(given)}${guess ? ` (did you mean ${guess}?)` : ''}`)
  }
  return { name, entry }
}

function extraOptions(values: Values): Record<string, unknown> {
  const options: Record<string, unknown> = {}
  for (const item of listValue(values, 'option')) {
    const eq = item.indexOf('=')
    if (eq <= 0) throw new UsageError(`--option takes NAME=VALUE (got ${JSON.stringify(item)})`)
    const text = item.slice(eq + 1)
    let value: unknown = text
    try {
      value = JSON.parse(text)
    } catch {
      // Not JSON: the text itself (a header name, a prefix such as sha256=).
    }
    options[item.slice(0, eq)] = value
  }
  return options
}

/** Refuses key flags the provider does not take, so a mix-up is an error rather than ignored. */
function refuseFlags(name: string, values: Values, flags: readonly string[], instead: string): void {
  for (const flag of flags)
    if (values[flag] !== undefined)
      throw new UsageError(`--provider ${name} does not take --${flag}; it takes ${instead}`)
}

interface KeyContext {
  name: string
  values: Values
  io: CliIo
  signing: boolean
  secrets: SecretValue[]
}

function key(context: KeyContext, flag: string, required: string | undefined): string | undefined {
  const given = stringValue(context.values, flag)
  if (given === undefined) {
    if (required !== undefined) throw new UsageError(`--provider ${context.name} needs --${flag} (${required})`)
    return undefined
  }
  const secret = readSecret(flag, given, context.io.env, context.io.cwd)
  if (flag !== 'public-key') context.secrets.push(secret)
  return secret.value
}

const KEY_FORMS = 'env:NAME, file:PATH or the value'

function keyOptions(entry: Entry, context: KeyContext): Record<string, unknown> {
  const { name, values, signing } = context
  const options: Record<string, unknown> = {}
  const set = (option: string, value: unknown): void => {
    if (value !== undefined) options[option] = value
  }
  if (entry.keys === 'secret') {
    refuseFlags(name, values, ['public-key', 'private-key', 'webhook-id', 'cert-url'], '--secret')
    set('secret', key(context, 'secret', KEY_FORMS))
  } else if (entry.keys === 'public-key') {
    refuseFlags(name, values, ['secret', 'webhook-id', 'cert-url'], '--public-key')
    set('publicKey', key(context, 'public-key', KEY_FORMS))
    set('privateKey', key(context, 'private-key', signing ? `to sign: ${KEY_FORMS}` : undefined))
  } else if (entry.keys === 'paypal') {
    refuseFlags(name, values, ['secret', 'public-key'], '--webhook-id')
    const webhookId = stringValue(values, 'webhook-id')
    if (webhookId === undefined) throw new UsageError(`--provider ${name} needs --webhook-id (the webhook id)`)
    options.webhookId = webhookId
    const privateKey = key(context, 'private-key', signing ? `to sign: a PKCS#8 PEM, ${KEY_FORMS}` : undefined)
    const certUrl = stringValue(values, 'cert-url')
    if (privateKey !== undefined) {
      if (certUrl === undefined) throw new UsageError('--provider paypal needs --cert-url with --private-key')
      options.signing = { privateKey, certUrl }
    }
  } else if (entry.keys === 'basic-auth') {
    // Postmark signs nothing: the webhook URL's basic-auth password is the only key.
    refuseFlags(
      name,
      values,
      ['public-key', 'private-key', 'webhook-id', 'cert-url'],
      '--secret and --option username=',
    )
    set('password', key(context, 'secret', `the basic-auth password: ${KEY_FORMS}`))
  } else if (entry.keys === 'any') {
    set('secret', key(context, 'secret', undefined))
    set('publicKey', key(context, 'public-key', undefined))
    set('privateKey', key(context, 'private-key', undefined))
    set('webhookId', stringValue(values, 'webhook-id'))
  } else {
    refuseFlags(name, values, ['webhook-id', 'cert-url'], '--secret or --public-key')
    set('secret', key(context, 'secret', undefined))
    set('publicKey', key(context, 'public-key', undefined))
    set('privateKey', key(context, 'private-key', undefined))
    if (options.secret === undefined && options.publicKey === undefined)
      throw new UsageError(`--provider ${name} needs --secret (whsec_…) or --public-key (whpk_…)`)
  }
  return options
}

/**
 * The `Authorization: Basic` credentials, kept with the secrets: they hold
 * the password (base64 is no cover), so printed headers must hide them too.
 */
function basicCredentials(name: string, options: Record<string, unknown>): SecretValue {
  if (typeof options.username !== 'string' || options.username === '')
    throw new UsageError(`--provider ${name} needs --option username=NAME (the user name in the webhook URL)`)
  return { value: Buffer.from(`${options.username}:${String(options.password)}`).toString('base64') }
}

/**
 * Builds the provider the flags describe. `defaults` are factory options a
 * fixture brings (its `hmac` scheme); flags override them.
 */
export function buildProvider(
  values: Values,
  io: CliIo,
  purpose: { signing: boolean; fallbackName?: string; defaults?: Record<string, unknown> },
): BuiltProvider {
  const { name, entry } = requireProviderName(values, purpose.fallbackName)
  const secrets: SecretValue[] = []
  const options: Record<string, unknown> = { ...purpose.defaults, ...extraOptions(values) }
  Object.assign(options, keyOptions(entry, { name, values, io, signing: purpose.signing, secrets }))
  if (entry.keys === 'basic-auth') secrets.push(basicCredentials(name, options))
  const publicUrl = stringValue(values, 'public-url')
  if (publicUrl !== undefined) {
    if (!entry.url && entry.keys !== 'any')
      throw new UsageError(`--public-url is only for providers that sign the URL (twilio, square)`)
    options.publicUrl = publicUrl
  }
  const tolerance = stringValue(values, 'tolerance')
  if (tolerance !== undefined) {
    if (!/^\d+$/.test(tolerance))
      throw new UsageError(`--tolerance must be whole seconds (got ${JSON.stringify(tolerance)})`)
    options.tolerance = Number(tolerance)
  }
  try {
    return { provider: entry.create(options), secrets }
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(error.message.replace(/^hookguard: /, ''))
    throw error
  }
}
