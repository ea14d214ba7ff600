/**
 * Meta webhooks (Graph API: WhatsApp Cloud API, Messenger, Instagram,
 * Pages …): `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 keyed by the
 * app secret over the raw body. Meta signs the body exactly as sent, with
 * non-ASCII characters escaped (`\u00e9`): verifying a re-serialised body
 * fails, so the raw bytes are what counts. The SHA-1 `X-Hub-Signature` is
 * never used. No timestamp is signed.
 *
 * - Verification requests: a GET with `hub.mode=subscribe`,
 *   `hub.verify_token` and `hub.challenge`; when `verifyToken` is set, the
 *   token is compared in constant time and the challenge is answered as
 *   text. Without `verifyToken`, GET is not answered (405).
 * - Id: Meta batches changes in `entry[]` and sends no delivery id, so the
 *   id is `sha256:` + the hex SHA-256 of the raw (signed) body. A byte-exact
 *   resend is a duplicate; every entry carries its own `time`, so distinct
 *   notifications have distinct bodies. No separate fingerprint: the id is
 *   already a digest of the signed bytes, and no unsigned id exists to swap.
 *   Meta does not promise that a retry repeats the batch byte for byte, so
 *   handlers should still be idempotent per message (`wamid…`, `mid`).
 * - Type: the body's `object` (`whatsapp_business_account`, `page`, `instagram`).
 *
 * @module
 */
import { encodeHex } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type SignOptions } from '../types/index.js'
import { bodyHashId, parseJson, stringField } from './kit/body.js'
import {
  challengeValue,
  plainTextAnswer,
  queryParams,
  type HandshakeProvider,
  type HandshakeRequest,
} from './kit/handshake.js'
import { readPrefixedHexSignature } from './kit/headers.js'
import { verifyHmac } from './kit/hmac.js'
import { withKeys, type SecretOption } from './kit/keys.js'
import { decodeSecrets } from './kit/secrets.js'
import { hmacScheme, openProvider, requireOptions, type UntimedProviderOptions } from './kit/setup.js'
import { tokenMatcher } from './kit/token.js'
import { invalidSignature } from './kit/fail.js'

/**
 * The options of every Meta factory besides the app secret.
 * @inline
 */
interface MetaCommonOptions extends Omit<UntimedProviderOptions, 'secret'> {
  /**
   * The Verify Token typed into the Webhooks settings of the App Dashboard.
   * When set, GET verification requests are answered; it is compared in
   * constant time and never logged.
   * @default none: GET requests are answered 405
   */
  verifyToken?: string
}

/**
 * Options of {@link meta} (and {@link whatsapp}, {@link messenger},
 * {@link instagram}). Give the app secret as `appSecret` or `secret`.
 */
export type MetaOptions = MetaCommonOptions &
  (
    | {
        /** The App Secret (App Dashboard → App settings → Basic), or several during a rotation, or a resolver. */
        appSecret: SecretOption
        secret?: never
      }
    | {
        /** Same as `appSecret`. */
        secret: SecretOption
        appSecret?: never
      }
  )

/** One change notification: a batch of entries for one `object`. */
export interface MetaNotification {
  object: string
  entry: Array<{ id: string; time: number; changes?: unknown[]; messaging?: unknown[]; [field: string]: unknown }>
  [field: string]: unknown
}

const PREFIX = 'sha256='

function appSecretOf(name: string, options: MetaOptions): { secret: SecretOption; option: 'appSecret' | 'secret' } {
  requireOptions(name, options, '{ appSecret, verifyToken? }')
  const raw = options as { appSecret?: SecretOption; secret?: SecretOption }
  if (raw.appSecret !== undefined && raw.secret !== undefined)
    throw configError(`${name}: give appSecret or secret, not both (they are the same option)`)
  return raw.appSecret !== undefined
    ? { secret: raw.appSecret, option: 'appSecret' }
    : { secret: raw.secret as SecretOption, option: 'secret' }
}

function verifyTokenKeys(name: string, verifyToken: unknown): readonly Uint8Array[] | undefined {
  if (verifyToken === undefined) return undefined
  if (typeof verifyToken !== 'string') throw configError(`${name}: verifyToken must be a string`)
  // Meta lets users type any token; under 8 characters it is guessable.
  return decodeSecrets(name, verifyToken, { option: 'verifyToken', minBytes: 8 })
}

function metaProvider(name: string, options: MetaOptions): HandshakeProvider<MetaNotification> {
  const { secret, option } = appSecretOf(name, options)
  const opened = openProvider(name, { ...options, secret }, { untimed: 'Meta', secret: { option } })
  const scheme = hmacScheme(opened, 'sha256', false)
  const verifyKeys = verifyTokenKeys(name, options.verifyToken)
  const tokenMatches = tokenMatcher(opened.backend)

  async function handshake(request: HandshakeRequest) {
    if (!verifyKeys) throw new HookguardError('method.not_allowed', { reason: `${name} has no verifyToken` })
    const params = queryParams(request)
    if (params.get('hub.mode') !== 'subscribe')
      throw new HookguardError('header.malformed', { reason: 'hub.mode is not subscribe' })
    const token = params.get('hub.verify_token')
    if (token === undefined || token === '')
      throw new HookguardError('signature.missing', { reason: 'hub.verify_token is missing' })
    if (!(await tokenMatches(verifyKeys, token))) throw invalidSignature('hub.verify_token does not match')
    return plainTextAnswer(challengeValue(params.get('hub.challenge'), 'hub.challenge'))
  }

  return {
    name,
    tolerance: undefined,
    sensitiveHeaders: ['x-hub-signature-256', 'x-hub-signature'],
    handshakeMethods: verifyKeys ? ['GET'] : [],
    handshake,
    verify(request) {
      const received = [readPrefixedHexSignature(request, 'x-hub-signature-256', PREFIX, 32)]
      return withKeys(opened.keys, request, (keys) => verifyHmac(scheme, keys, [request.body], received, {}))
    },
    parse: (request) => parseJson(request.body),
    async describe(payload, request) {
      return { id: await bodyHashId(opened.backend, request.body), type: stringField(payload, 'object') }
    },
    async [SIGN](sign: SignOptions) {
      const [key] = await opened.keys.forSigning(sign)
      const mac = await opened.backend.hmac('sha256', key!, [sign.body])
      const headers = { 'content-type': 'application/json', ...sign.headers }
      return { headers: { ...headers, 'x-hub-signature-256': `${PREFIX}${encodeHex(mac)}` }, body: sign.body }
    },
  }
}

/**
 * Meta webhooks for any Graph API product; the provider name is `meta`.
 *
 * @example
 * ```ts
 * const provider = meta({ appSecret: process.env.META_APP_SECRET!, verifyToken: process.env.META_VERIFY_TOKEN })
 * ```
 */
export function meta(options: MetaOptions): HandshakeProvider<MetaNotification> {
  return metaProvider('meta', options)
}

/**
 * WhatsApp Cloud API webhooks: {@link meta}'s scheme under the name `whatsapp`.
 *
 * @example
 * ```ts
 * const provider = whatsapp({ appSecret: process.env.META_APP_SECRET!, verifyToken: process.env.WHATSAPP_VERIFY_TOKEN })
 * ```
 */
export function whatsapp(options: MetaOptions): HandshakeProvider<MetaNotification> {
  return metaProvider('whatsapp', options)
}

/**
 * Messenger Platform webhooks: {@link meta}'s scheme under the name `messenger`.
 *
 * @example
 * ```ts
 * const provider = messenger({ appSecret: process.env.META_APP_SECRET!, verifyToken: process.env.MESSENGER_VERIFY_TOKEN })
 * ```
 */
export function messenger(options: MetaOptions): HandshakeProvider<MetaNotification> {
  return metaProvider('messenger', options)
}

/**
 * Instagram webhooks: {@link meta}'s scheme under the name `instagram`.
 *
 * @example
 * ```ts
 * const provider = instagram({ appSecret: process.env.META_APP_SECRET!, verifyToken: process.env.INSTAGRAM_VERIFY_TOKEN })
 * ```
 */
export function instagram(options: MetaOptions): HandshakeProvider<MetaNotification> {
  return metaProvider('instagram', options)
}
