/**
 * Signed deliveries for the benchmarks, built ahead of time so the load
 * generator spends its CPU on HTTP rather than on HMACs. Every delivery has
 * its own id (and its own body), as a real sender's retries-free stream does.
 */
import { randomUUID } from 'node:crypto'
import { load } from './dist.js'

export const GITHUB_SECRET = 'bench-github-webhook-secret-0123456789'
export const STRIPE_SECRET = 'whsec_bench_4eC39HqLyjWDarjtT1zdp7dc'
export const GITHUB_PATH = '/webhooks/github'
export const STRIPE_PATH = '/webhooks/stripe'

export type ProviderName = 'github' | 'stripe'

export interface Delivery {
  /** Lower-case names, as a Node server sees them. */
  headers: Record<string, string>
  body: string
}

/** Pads `event` with `filler` items until its JSON is at least `bytes` long (`count` items when known). */
function padded(event: { padding: unknown[] }, bytes: number, filler: (i: number) => unknown, count?: number): string {
  if (count !== undefined) {
    for (let i = 0; i < count; i++) event.padding.push(filler(i))
    return JSON.stringify(event)
  }
  let text = JSON.stringify(event)
  for (let i = 0; text.length < bytes; i++) {
    event.padding.push(filler(i))
    text = JSON.stringify(event)
  }
  return text
}

/** How many filler items bring body 0 to `bytes`: every body of a pool gets as many (so about the same size). */
function fillerCount(makeBody: (n: number) => string): number {
  return (JSON.parse(makeBody(0)) as { padding: unknown[] }).padding.length
}

const sha = (n: number, salt: string): string => (salt + n.toString(16)).padStart(40, '0').slice(-40)

/** A GitHub `push` payload of about `bytes` bytes; `n` makes it unique. */
export function githubBody(n: number, bytes: number, count?: number): string {
  const event = {
    ref: 'refs/heads/main',
    before: sha(n, 'b'),
    after: sha(n, 'a'),
    repository: { id: 1296269, full_name: 'octocat/Hello-World', private: false, default_branch: 'main' },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat', id: 1, type: 'User' },
    padding: [] as unknown[],
  }
  return padded(
    event,
    bytes,
    (i) => ({
      id: sha(n * 1000 + i, 'c'),
      message: `Commit ${i}: update the README (grüße)`,
      author: { name: 'Monalisa Octocat', email: 'mona@github.com' },
      added: [],
      modified: ['README.md'],
    }),
    count,
  )
}

/** A Stripe `invoice.paid` event of about `bytes` bytes with id `evt_<tag>_<n>`. */
export function stripeBody(tag: string, n: number, bytes: number, count?: number): string {
  const event = {
    id: `evt_${tag}_${n}`,
    object: 'event',
    api_version: '2024-06-20',
    created: Math.floor(Date.now() / 1000),
    type: 'invoice.paid',
    livemode: false,
    data: { object: { id: `in_${n}`, object: 'invoice', customer: 'cus_Q1w2E3', currency: 'eur', amount_paid: 4200 } },
    padding: [] as unknown[],
  }
  return padded(event, bytes, (i) => ({ id: `il_${i}`, object: 'line_item', amount: 100 + i, quantity: 1 }), count)
}

/** `size` correctly signed, distinct deliveries of about `bytes` bytes each. */
export async function signedPool(provider: ProviderName, size: number, bytes: number): Promise<Delivery[]> {
  const { github, stripe } = await load('index')
  const { signRequest } = await load('testing')
  const signer = provider === 'github' ? github({ secret: GITHUB_SECRET }) : stripe({ secret: STRIPE_SECRET })
  const tag = randomUUID().slice(0, 8)
  const makeBody = (n: number, count?: number): string =>
    provider === 'github' ? githubBody(n, bytes, count) : stripeBody(tag, n, bytes, count)
  const count = fillerCount(makeBody)
  const pool: Delivery[] = []
  for (let n = 0; n < size; n++) {
    const body = makeBody(n, count)
    const signed = await signRequest(signer, provider === 'github' ? { body, id: randomUUID() } : { body })
    pool.push({ headers: lowerCase(signed.headers), body })
  }
  return pool
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]))
}

const SIGNATURE_HEADERS = ['x-hub-signature-256', 'stripe-signature']

/** The same delivery with the last hex digit of its signature changed: same length, wrong MAC. */
export function forged(delivery: Delivery): Delivery {
  const headers = { ...delivery.headers }
  const name = SIGNATURE_HEADERS.find((header) => headers[header] !== undefined)
  if (name === undefined) throw new Error('bench: no signature header to forge')
  const value = headers[name]!
  headers[name] = value.slice(0, -1) + (value.endsWith('0') ? '1' : '0')
  return { headers, body: delivery.body }
}
