/**
 * Discord interactions: `X-Signature-Ed25519` (hex, 64 bytes) is an Ed25519
 * signature over `X-Signature-Timestamp + body`, checked with the
 * application's public key (hex, 32 bytes). Unlike Discord's own package,
 * the timestamp is also checked against a tolerance, in both directions.
 * The PING (`type: 1`) is verified first, answered `{"type":1}` and never
 * enqueued.
 *
 * @module
 */
import { concatBytes, decodeHex, encodeHex, toBytes } from '../crypto.js'
import { configError, HookguardError } from '../errors.js'
import { SIGN, type Provider, type SignOptions } from '../types/index.js'
import {
  checkTimestamp,
  invalidSignature,
  parseJson,
  parseTimestamp,
  readHeader,
  requireSignatureHeader,
  resolveBackend,
  resolveTolerance,
  signingTimestamp,
  type ProviderOptions,
} from './shared.js'

export interface DiscordOptions extends Omit<ProviderOptions, 'secret'> {
  /** Required: the application's public key from the Developer Portal, 64 hex digits. */
  publicKey: string
  /**
   * Test-only: the Ed25519 private key (its 32-byte seed, 64 hex digits) that
   * belongs to `publicKey`, so `hookguard/testing` can sign deliveries.
   * Discord never hands out its private key; never set this in production.
   * Default: none (the provider verifies but cannot sign).
   */
  privateKey?: string
  /**
   * The interaction response sent once the interaction is queued: Discord
   * needs one within 3 seconds, so the handler answers later through the
   * interaction token (follow-up messages). Return any JSON-serialisable
   * interaction response. Default: `{ type: 5 }` (deferred message) for
   * commands and modal submits, `{ type: 6 }` (deferred update) for
   * components, `{ type: 8, data: { choices: [] } }` for autocomplete.
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
const PONG_BODY = JSON.stringify({ type: 1 })
const MESSAGE_COMPONENT = 3
const AUTOCOMPLETE = 4

function defaultResponse(interaction: Record<string, unknown>): unknown {
  if (interaction.type === MESSAGE_COMPONENT) return { type: 6 }
  if (interaction.type === AUTOCOMPLETE) return { type: 8, data: { choices: [] } }
  return { type: 5 }
}

function decodeKey(option: string, value: unknown, bytes: number): Uint8Array {
  if (typeof value !== 'string')
    throw configError(
      `discord: ${option} must be a string of ${bytes * 2} hex digits (got ${value === undefined ? 'undefined' : typeof value})`,
    )
  const decoded = decodeHex(value.trim() === value ? value : '')
  if (!decoded || decoded.length !== bytes) {
    throw configError(
      `discord: ${option} must be ${bytes * 2} hex digits (${bytes} bytes), as shown in the Developer Portal under General Information`,
    )
  }
  return decoded
}

const MAX_ID_LENGTH = 128

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
  if (!options || typeof options !== 'object')
    throw configError('discord: pass { publicKey } — the application public key in hex')
  const publicKey = decodeKey('publicKey', options.publicKey, 32)
  const privateKey = options.privateKey === undefined ? undefined : decodeKey('privateKey', options.privateKey, 32)
  const tolerance = resolveTolerance(name, options)
  const backend = resolveBackend(options.crypto)
  const respond = options.respond ?? defaultResponse
  if (typeof respond !== 'function')
    throw configError('discord: respond must be a function (interaction) => interaction response')

  const provider: Provider = {
    name,
    tolerance,
    sensitiveHeaders: ['x-signature-ed25519'],
    async verify(request) {
      const signatureText = requireSignatureHeader(request, 'x-signature-ed25519')
      const timestampText = readHeader(request, 'x-signature-timestamp')
      const timestamp = parseTimestamp(timestampText, 'x-signature-timestamp')
      checkTimestamp(timestamp, request.now, tolerance)
      const signature = decodeHex(signatureText)
      if (!signature || signature.length !== 64)
        throw new HookguardError('signature.malformed', { reason: 'x-signature-ed25519 is not 128 hex digits' })
      const ok = await backend.verifyEd25519(publicKey, concatBytes([timestampText!, request.body]), signature)
      if (!ok) throw invalidSignature()
      return { timestamp }
    },
    parse: (request) => parseJson(request.body),
    describe(payload) {
      if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
        throw new HookguardError('body.malformed', { reason: 'interaction is not a JSON object' })
      }
      const { type, id } = payload as { type?: unknown; id?: unknown }
      if (typeof type !== 'number' || !Number.isInteger(type))
        throw new HookguardError('body.malformed', { reason: 'interaction has no numeric type' })
      const typeName = INTERACTION_TYPES[type] ?? `TYPE_${type}`
      if (type === PING) {
        return {
          type: typeName,
          handshake: { status: 200, headers: { 'content-type': 'application/json' }, body: PONG_BODY },
        }
      }
      return { id: typeof id === 'string' && id.length <= MAX_ID_LENGTH ? id : undefined, type: typeName }
    },
    acknowledge(event) {
      const body = JSON.stringify(respond(event.payload as Record<string, unknown>))
      return typeof body === 'string'
        ? { status: 200, headers: { 'content-type': 'application/json' }, body }
        : undefined
    },
  }
  if (privateKey) {
    Object.defineProperty(provider, SIGN, {
      value: async function signDiscord(sign: SignOptions) {
        const timestamp = String(signingTimestamp(sign))
        const message = concatBytes([timestamp, toBytes(sign.body)])
        const signature = await backend.signEd25519(privateKey, message)
        // A private key that is not the public key's twin would sign requests this provider refuses.
        if (!(await backend.verifyEd25519(publicKey, message, signature)))
          throw configError('discord: privateKey does not belong to publicKey')
        return {
          headers: {
            'content-type': 'application/json',
            ...sign.headers,
            'x-signature-ed25519': encodeHex(signature),
            'x-signature-timestamp': timestamp,
          },
          body: sign.body,
        }
      },
    })
  }
  return provider
}
