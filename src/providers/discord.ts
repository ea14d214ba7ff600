/**
 * Discord interactions: `X-Signature-Ed25519` (lower-case hex, 64 bytes) is
 * an Ed25519 signature over `X-Signature-Timestamp + body`, checked with the
 * application's public key (hex, 32 bytes). Unlike Discord's own package,
 * the timestamp is also checked against a tolerance, in both directions.
 * The PING (`type: 1`) is verified first, answered `{"type":1}` and never
 * enqueued. The id is the interaction's `id`, inside the signed body.
 *
 * @module
 */
import { concatBytes, decodeHex, encodeHex, toBytes } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import { parseJson } from './kit/body.js'
import { invalidSignature, malformedSignature } from './kit/fail.js'
import { readHeader, requireSignatureHeader } from './kit/headers.js'
import { withKeys, type SecretResolver } from './kit/keys.js'
import { openProvider, requireOptions, type ProviderOptions } from './kit/setup.js'
import { signingTimestamp } from './kit/sign.js'
import { checkTimestamp, parseTimestamp } from './kit/timestamp.js'

export interface DiscordOptions extends Omit<ProviderOptions, 'secret'> {
  /**
   * Required: the application's public key from the Developer Portal, 64 hex
   * digits; or a function that returns the public key of the application a
   * request is for (several applications on one endpoint), like a secret
   * resolver (see {@link ProviderOptions.secret}).
   */
  publicKey: string | SecretResolver
  /**
   * Test-only: the Ed25519 private key (its 32-byte seed, 64 hex digits) that
   * belongs to `publicKey`, so `hookguard/testing` can sign deliveries.
   * Discord never hands out its private key; never set this in production.
   * @default none (the provider verifies but cannot sign)
   */
  privateKey?: string
  /**
   * The interaction response sent once the interaction is queued: Discord
   * needs one within 3 seconds, so the handler answers later through the
   * interaction token (follow-up messages). Return any JSON-serialisable
   * interaction response.
   * @default `{ type: 5 }` (deferred message) for commands and modal submits, `{ type: 6 }` (deferred update) for components, `{ type: 8, data: { choices: [] } }` for autocomplete
   */
  respond?: (interaction: Record<string, unknown>) => unknown
}

const INTERACTION_TYPES: Record<number, string> = {
  1: 'PING',
  2: 'APPLICATION_COMMAND',
  3: 'MESSAGE_COMPONENT',
  4: 'APPLICATION_COMMAND_AUTOCOMPLETE',
  5: 'MODAL_SUBMIT',
}

const PING = 1
const MAX_ID_LENGTH = 128
const PONG_BODY = JSON.stringify({ type: 1 })
const MESSAGE_COMPONENT = 3
const AUTOCOMPLETE = 4

function defaultResponse(interaction: Record<string, unknown>): unknown {
  if (interaction.type === MESSAGE_COMPONENT) return { type: 6 }
  if (interaction.type === AUTOCOMPLETE) return { type: 8, data: { choices: [] } }
  return { type: 5 }
}

/** A 32-byte public key as hex (either case: it is configuration, not a signature). */
function hexKey(value: string): Uint8Array {
  const decoded = decodeHex(value, 'any')
  if (!decoded || decoded.length !== 32)
    throw new Error('must be 64 hex digits (32 bytes), as shown in the Developer Portal under General Information')
  return decoded
}

function describeInteraction(payload: unknown) {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new HookguardError('body.malformed', { reason: 'interaction is not a JSON object' })
  const { type, id } = payload as { type?: unknown; id?: unknown }
  if (typeof type !== 'number' || !Number.isInteger(type))
    throw new HookguardError('body.malformed', { reason: 'interaction has no numeric type' })
  const typeName = INTERACTION_TYPES[type] ?? `TYPE_${type}`
  if (type === PING) {
    const headers = { 'content-type': 'application/json' }
    return { type: typeName, handshake: { status: 200, headers, body: PONG_BODY } }
  }
  return { id: typeof id === 'string' && id.length <= MAX_ID_LENGTH ? id : undefined, type: typeName }
}

/**
 * Discord interactions endpoint (slash commands, components, modals).
 *
 * @example
 * ```ts
 * const receiver = createReceiver({ provider: discord({ publicKey: process.env.DISCORD_PUBLIC_KEY! }) })
 * ```
 */
export function discord(options: DiscordOptions): Provider {
  const name = 'discord'
  requireOptions(name, options, '{ publicKey } — the application public key in hex')
  const keyRules = { kind: 'publicKey' as const, minBytes: 32, decode: hexKey }
  const opened = openProvider(name, options, { keyOption: 'publicKey', secret: keyRules })
  let privateKey: Uint8Array | undefined
  if (options.privateKey !== undefined) {
    if (!opened.keys.fixed) throw configError('discord: privateKey needs a fixed publicKey (not a function)')
    privateKey = decodePrivateKey(options.privateKey)
  }
  const { backend, tolerance, keys } = opened
  const respond = options.respond ?? defaultResponse
  if (typeof respond !== 'function')
    throw configError('discord: respond must be a function (interaction) => interaction response')

  const provider: Provider = {
    name,
    tolerance,
    sensitiveHeaders: ['x-signature-ed25519'],
    verify(request) {
      const signatureText = requireSignatureHeader(request, 'x-signature-ed25519')
      const timestampText = readHeader(request, 'x-signature-timestamp')
      const timestamp = parseTimestamp(timestampText, 'x-signature-timestamp')
      checkTimestamp(timestamp, request.now, tolerance)
      const signature = decodeHex(signatureText)
      if (!signature || signature.length !== 64)
        throw malformedSignature('x-signature-ed25519 is not 128 lower-case hex digits')
      const message = concatBytes([timestampText!, request.body])
      return withKeys(keys, request, async (publicKeys) => {
        for (const publicKey of publicKeys)
          if (await backend.verifyEd25519(publicKey, message, signature)) return { timestamp }
        throw invalidSignature()
      })
    },
    parse: (request) => parseJson(request.body),
    describe: describeInteraction,
    acknowledge(event) {
      const body = JSON.stringify(respond(event.payload as Record<string, unknown>))
      return typeof body === 'string'
        ? { status: 200, headers: { 'content-type': 'application/json' }, body }
        : undefined
    },
  }
  if (privateKey) Object.defineProperty(provider, SIGN, { value: signer(backend, privateKey, opened.keys.fixed![0]!) })
  return provider
}

function decodePrivateKey(value: unknown): Uint8Array {
  const decoded = typeof value === 'string' ? decodeHex(value, 'any') : undefined
  if (!decoded || decoded.length !== 32) throw configError('discord: privateKey must be 64 hex digits (32 bytes)')
  return decoded
}

function signer(backend: ReturnType<typeof openProvider>['backend'], privateKey: Uint8Array, publicKey: Uint8Array) {
  return async function signDiscord(sign: SignOptions) {
    const timestamp = String(signingTimestamp(sign))
    const message = concatBytes([timestamp, toBytes(sign.body)])
    const signature = await backend.signEd25519(privateKey, message)
    // A private key that is not the public key's twin would sign requests this provider refuses.
    if (!(await backend.verifyEd25519(publicKey, message, signature)))
      throw configError('discord: privateKey does not belong to publicKey')
    const headers = { 'x-signature-ed25519': encodeHex(signature), 'x-signature-timestamp': timestamp }
    return { headers: { 'content-type': 'application/json', ...sign.headers, ...headers }, body: sign.body }
  }
}
