/**
 * Prints a curl command that sends a correctly signed Stripe delivery to the
 * example: npx tsx examples/metrics/sign.ts [event-id] [url] | sh
 */
import { stripe } from 'hookguard'
import { signRequest } from 'hookguard/testing'

const STRIPE_WEBHOOK_SECRET = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_example_only_0123456789abcdef'
const id = process.argv[2] ?? `evt_${Date.now()}`
const url = process.argv[3] ?? `http://127.0.0.1:${process.env.PORT ?? 3000}/webhooks/stripe`

const body = JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: { amount_paid: 4200 } } })
const signed = await signRequest(stripe({ secret: STRIPE_WEBHOOK_SECRET }), { body })

/** POSIX single-quoting: the body goes out byte for byte, as it was signed. */
const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`
const headers = Object.entries(signed.headers).map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`)
console.log(['curl -sS -X POST', quote(url), ...headers, '--data-binary', quote(body)].join(' '))
