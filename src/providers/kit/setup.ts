/**
 * The opening every provider factory shares: options object, name, crypto
 * backend, tolerance and keys, validated once at construction.
 *
 * @module
 */
import { defaultCrypto, type CryptoBackend, type HmacAlgorithm } from '../../crypto.js'
import { configError } from '../../errors.js'
import type { HmacScheme } from './hmac.js'
import { keySource, type KeySource, type ResolverSettings, type SecretOption } from './keys.js'
import type { SecretRules } from './secrets.js'
import { refuseTolerance, resolveTolerance, type TimestampOptions } from './timestamp.js'

/** Options every shared-secret provider factory takes. */
export interface ProviderOptions extends TimestampOptions, ResolverSettings {
  /**
   * The signing secret; or several during a rotation (any one that matches
   * passes); or a function that returns the secret of the tenant a request
   * is for (`(request) => string | string[] | undefined`, sync or async),
   * which sees the method, url and headers but never the unverified body.
   * Answering undefined means an unknown tenant: 401, like a bad signature.
   */
  secret: SecretOption
  /**
   * Crypto implementation.
   * @default node:crypto when present, else Web Crypto
   */
  crypto?: CryptoBackend
}

/** Options of a scheme that signs no timestamp. */
export type UntimedProviderOptions = Omit<ProviderOptions, 'tolerance' | 'skipTimestampCheck'>

/** What a factory knows once its options passed. */
export interface Opened {
  readonly backend: CryptoBackend
  readonly tolerance: number | undefined
  readonly keys: KeySource
}

export interface OpenSpec {
  /** How secret strings become keys. */
  secret?: SecretRules
  /** The sender's name when it signs no timestamp (tolerance options are then refused). */
  untimed?: string
  /** Default tolerance, seconds, for a scheme with a signed timestamp. Default 300. */
  tolerance?: number
  /** The option that carries the keys. Default 'secret'. */
  keyOption?: 'secret' | 'publicKey'
}

/** Refuses a missing options object with a message that shows the call. */
export function requireOptions<T>(name: string, options: T, shape = '{ secret }'): NonNullable<T> {
  if (options === null || typeof options !== 'object') throw configError(`${name}: pass ${shape}`)
  return options as NonNullable<T>
}

/** Validates the options every factory shares and builds its key source. */
export function openProvider(name: string, options: object, spec: OpenSpec = {}): Opened {
  const raw = requireOptions(name, options) as ProviderOptions & Record<string, unknown>
  let tolerance: number | undefined
  if (spec.untimed !== undefined) refuseTolerance(name, spec.untimed, raw)
  else tolerance = resolveTolerance(name, raw, spec.tolerance)
  const option = spec.keyOption ?? 'secret'
  const keys = keySource(name, raw[option], { option, ...spec.secret }, raw)
  return { backend: resolveBackend(raw.crypto), tolerance, keys }
}

export function resolveBackend(crypto: CryptoBackend | undefined): CryptoBackend {
  if (crypto !== undefined && (typeof crypto !== 'object' || typeof crypto.hmac !== 'function'))
    throw configError('crypto must be a CryptoBackend (nodeCryptoBackend() or webCryptoBackend())')
  return crypto ?? defaultCrypto()
}

/** The HMAC settings of a provider: made once, passed to every check. */
export function hmacScheme(opened: Opened, algorithm: HmacAlgorithm, fingerprint: boolean): HmacScheme {
  return { backend: opened.backend, algorithm, fingerprint }
}
