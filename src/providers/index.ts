/**
 * Every provider factory. Each takes `{ secret, tolerance? }` (Discord and
 * SendGrid take `{ publicKey }`, PayPal `{ webhookId }`, Postmark `{ username,
 * password }`) and returns a
 * {@link Provider}. `secret` may be a function for per-tenant secrets.
 *
 * @module
 */
export { standardWebhooks, type StandardWebhooksOptions } from './standard-webhooks.js'
export { stripe, type StripeOptions, type StripeEvent, type StripeEvents, type StripeProvider } from './stripe.js'
export { github, type GitHubOptions, type GitHubEvent, type GitHubEvents, type GitHubProvider } from './github.js'
export { hmac, type HmacOptions } from './hmac.js'
export type { ProviderOptions, UntimedProviderOptions } from './kit/setup.js'
export type { SecretAnswer, SecretCacheOptions, SecretOption, SecretRequest, SecretResolver } from './kit/keys.js'
export { discord, type DiscordOptions } from './discord.js'
export {
  slack,
  type SlackOptions,
  type SlackPayload,
  type SlackEventCallback,
  type SlackEvents,
  type SlackOtherPayload,
  type SlackProvider,
} from './slack.js'
export { shopify, type ShopifyOptions } from './shopify.js'
export { twilio, type TwilioOptions, type PublicUrlOption } from './twilio.js'
export { paddle, type PaddleOptions } from './paddle.js'
export { linear, type LinearOptions } from './linear.js'
export { twitch, type TwitchOptions } from './twitch.js'
export { gitlab, type GitLabOptions } from './gitlab.js'
export { zoom, type ZoomOptions } from './zoom.js'
export { square, type SquareOptions } from './square.js'
export { intercom, type IntercomOptions } from './intercom.js'
export { mailgun, type MailgunOptions } from './mailgun.js'
export { paypal, type PayPalOptions } from './paypal.js'
export { sendgrid, type SendGridOptions } from './sendgrid.js'
// Payments, commerce and business apps.
export { lemonSqueezy, type LemonSqueezyOptions } from './lemonsqueezy.js'
export { razorpay, type RazorpayOptions } from './razorpay.js'
export { coinbaseCommerce, type CoinbaseCommerceOptions } from './coinbase-commerce.js'
export { wooCommerce, type WooCommerceOptions } from './woocommerce.js'
export { adyen, type AdyenOptions } from './adyen.js'
export { hubspot, type HubSpotOptions } from './hubspot.js'
export { typeform, type TypeformOptions } from './typeform.js'
export { calendly, type CalendlyOptions } from './calendly.js'
export { zendesk, type ZendeskOptions } from './zendesk.js'
export { braintree, type BraintreeOptions, type BraintreeNotification } from './braintree.js'
// Handshakes and signatures that need care (GET/HEAD handshakes: see kit/handshake.ts).
export type { HandshakeProvider, MethodHandshake } from './kit/handshake.js'
export { meta, whatsapp, messenger, instagram, type MetaOptions, type MetaNotification } from './meta.js'
export { asana, type AsanaOptions, type AsanaPayload, type AsanaEvent } from './asana.js'
export { trello, type TrelloOptions, type TrelloPayload, type CallbackUrlOption } from './trello.js'
export { telegram, type TelegramOptions, type TelegramUpdate } from './telegram.js'
export { dropbox, type DropboxOptions, type DropboxNotification } from './dropbox.js'
export { box, type BoxOptions, type BoxEvent } from './box.js'
export { okta, type OktaOptions, type OktaEventHook } from './okta.js'
export { plaid, type PlaidOptions, type PlaidJwk, type PlaidKeyFetcher } from './plaid.js'
export type { EcJwk, JwkFetcher } from './kit/jwk-keys.js'
// Batch C: developer tools, content, e-signature and email.
export { bitbucket, type BitbucketOptions } from './bitbucket.js'
export { sentry, type SentryOptions } from './sentry.js'
export { pagerduty, type PagerDutyOptions, type PagerDutyWebhook } from './pagerduty.js'
export { vercel, type VercelOptions, type VercelWebhook } from './vercel.js'
export { netlify, type NetlifyOptions } from './netlify.js'
export { mux, type MuxOptions, type MuxWebhook } from './mux.js'
export { contentful, type ContentfulOptions, type ContentfulPathOption } from './contentful.js'
export { sanity, type SanityOptions } from './sanity.js'
export { docusign, type DocuSignOptions, type DocuSignMessage } from './docusign.js'
export { postmark, type PostmarkOptions } from './postmark.js'
export { mandrill, type MandrillOptions, type MandrillEvent } from './mandrill.js'
export { clerk, resend, brex, type SvixSenderOptions } from './standard-webhooks.js'
