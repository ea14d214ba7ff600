/**
 * Every provider factory. Each takes `{ secret, tolerance? }` (Discord takes
 * `{ publicKey }`) and returns a {@link Provider}.
 *
 * @module
 */
export { standardWebhooks, type StandardWebhooksOptions } from './standard-webhooks.js'
export { stripe, type StripeOptions } from './stripe.js'
export { github, type GitHubOptions } from './github.js'
export { hmac, type HmacOptions } from './hmac.js'
export type { ProviderOptions } from './shared.js'
