/**
 * The events examples run as written (tsx, importing the package by its
 * name through the tsconfig path mapping): each starts a server, takes its
 * secrets from the environment (and says which variable is missing), and
 * its declared handlers see signed deliveries.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { github, stripe } from '../../src/providers/index.js'
import { signRequest } from '../../src/testing.js'
import { send } from '../adapters/http.js'
import { waitFor } from './support.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill()
})

function spawnExample(name: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const clean = { ...process.env }
  for (const variable of ['STRIPE_WEBHOOK_SECRET', 'GITHUB_WEBHOOK_SECRET', 'TENANT_SECRETS']) delete clean[variable]
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/events/${name}.ts`], {
    cwd: root,
    env: { ...clean, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  return { child, output: () => output }
}

/** Start an example on a free port; resolves with its base URL and its growing output. */
async function start(name: string, env: Record<string, string>): Promise<{ base: string; output: () => string }> {
  const { child, output } = spawnExample(name, env)
  let exited: string | undefined
  child.on('exit', (code) => (exited = `example ${name} exited with ${code}: ${output()}`))
  await waitFor(() => {
    if (exited) throw new Error(exited)
    return /listening on http:\/\/127\.0\.0\.1:\d+/.test(output())
  }, `${name} to listen`)
  return { base: /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())![1]!, output }
}

/** Runs an example without its secrets: it must exit 1 and name the variable. */
async function missing(name: string, variable: string): Promise<void> {
  const { child, output } = spawnExample(name, {})
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  expect(code).toBe(1)
  expect(output()).toContain(`Set ${variable}`)
}

const STRIPE_SECRET = 'whsec_events_example_0123456789abcdef'
const stripeProvider = stripe({ secret: STRIPE_SECRET })

function stripeEvent(id: string, type: string, object: Record<string, unknown>, created = 1_700_000_000): string {
  return JSON.stringify({ id, object: 'event', type, created, data: { object } })
}

async function postStripe(url: string, body: string, provider = stripeProvider) {
  const signed = await signRequest(provider, { body })
  return send(url, { headers: signed.headers, body })
}

describe('examples/events', () => {
  it('stripe-handlers: typed handlers by type; other types are acknowledged as ignored', async () => {
    await missing('stripe-handlers', 'STRIPE_WEBHOOK_SECRET')
    const { base, output } = await start('stripe-handlers', { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET })
    const url = `${base}/webhooks/stripe`
    const intent = { id: 'pi_ex_1', object: 'payment_intent', amount: 2000, currency: 'usd', status: 'succeeded' }
    expect((await postStripe(url, stripeEvent('evt_ex_1', 'payment_intent.succeeded', intent))).status).toBe(200)
    const subscription = { id: 'sub_ex_1', object: 'subscription', status: 'active' }
    const updated = stripeEvent('evt_ex_2', 'customer.subscription.updated', subscription)
    expect((await postStripe(url, updated)).status).toBe(200)
    const ignored = await postStripe(url, stripeEvent('evt_ex_3', 'customer.created', { id: 'cus_1' }))
    expect(ignored.status).toBe(200)
    expect(ignored.json).toMatchObject({ status: 'ignored', id: 'evt_ex_3' })
    expect((await send(url, { headers: { 'stripe-signature': 't=1,v1=00' }, body: updated })).status).toBe(401)
    await waitFor(() => output().includes('[handler] customer.subscription.updated sub_ex_1 active'), 'handlers')
    expect(output()).toContain('[handler] payment_intent.succeeded pi_ex_1 2000 usd')
    expect(output()).not.toContain('customer.created')
  })

  it('github-handlers: issues.opened, pull_request.*, push and * by event and action', async () => {
    await missing('github-handlers', 'GITHUB_WEBHOOK_SECRET')
    const secret = 'events-example-github-secret'
    const provider = github({ secret })
    const { base, output } = await start('github-handlers', { GITHUB_WEBHOOK_SECRET: secret })
    const deliveries: Array<[string, object]> = [
      ['issues', { action: 'opened', issue: { number: 7, title: 'Crash' }, repository: { full_name: 'o/r' } }],
      ['pull_request', { action: 'closed', number: 8, pull_request: { number: 8, state: 'closed' } }],
      ['push', { ref: 'refs/heads/main', commits: [{ id: 'a' }, { id: 'b' }] }],
      ['ping', { zen: 'Keep it logically awesome.', hook_id: 1 }],
    ]
    for (const [event, payload] of deliveries) {
      const body = JSON.stringify(payload)
      const signed = await signRequest(provider, { body, headers: { 'x-github-event': event } })
      expect((await send(`${base}/webhooks/github`, { headers: signed.headers, body })).status).toBe(200)
    }
    await waitFor(() => (output().match(/\[handler\]/g) ?? []).length === 4, 'four handler runs')
    expect(output()).toContain('[handler] issues.opened o/r#7 Crash')
    expect(output()).toContain('[handler] pull_request.closed #8 closed')
    expect(output()).toContain('[handler] push refs/heads/main 2 commits')
    expect(output()).toMatch(/\[handler\] other ping \S+/)
  })

  it('stripe-ordering: created after succeeded is stale, and /stats shows it', async () => {
    await missing('stripe-ordering', 'STRIPE_WEBHOOK_SECRET')
    const { base, output } = await start('stripe-ordering', { STRIPE_WEBHOOK_SECRET: STRIPE_SECRET })
    const url = `${base}/webhooks/stripe`
    const intent = (status: string) => ({ id: 'pi_ord_1', object: 'payment_intent', status })
    const succeeded = stripeEvent('evt_ord_2', 'payment_intent.succeeded', intent('succeeded'), 1_700_000_010)
    expect((await postStripe(url, succeeded)).status).toBe(200)
    await waitFor(() => output().includes('payment_intent.succeeded pi_ord_1'), 'the succeeded handler')
    const created = stripeEvent('evt_ord_1', 'payment_intent.created', intent('requires_payment_method'))
    expect((await postStripe(url, created)).status).toBe(200)
    await waitFor(async () => (await send(`${base}/stats`, { method: 'GET' })).text.includes('"stale":1'), 'stale')
    expect((await send(`${base}/stats`, { method: 'GET' })).json).toEqual({ handled: 1, stale: 1 })
    expect((await send(`${base}/payments`, { method: 'GET' })).json).toEqual({ pi_ord_1: 'succeeded' })
    expect(output()).not.toContain('payment_intent.created')
  })

  it('multi-tenant: a secret per tenant, dedupe per tenant, unknown tenants refused', async () => {
    await missing('multi-tenant', 'TENANT_SECRETS')
    const secrets = { acme: 'whsec_events_acme_0123456789abcdef', globex: 'whsec_events_globex_0123456789abcd' }
    const { base, output } = await start('multi-tenant', { TENANT_SECRETS: JSON.stringify(secrets) })
    const acme = stripe({ secret: secrets.acme })
    const globex = stripe({ secret: secrets.globex })
    const invoice = stripeEvent('evt_mt_1', 'invoice.paid', { id: 'in_mt_1', object: 'invoice', amount_paid: 4200 })
    const to = (tenant: string) => `${base}/webhooks/stripe/${tenant}`
    expect((await postStripe(to('acme'), invoice, acme)).json).toMatchObject({ status: 'accepted' })
    // The same event id for another tenant is that tenant's event, not a duplicate.
    expect((await postStripe(to('globex'), invoice, globex)).json).toMatchObject({ status: 'accepted' })
    expect((await postStripe(to('acme'), invoice, acme)).json).toMatchObject({ status: 'duplicate' })
    // One tenant's secret never opens another tenant's endpoint; unknown tenants get 401.
    expect((await postStripe(to('acme'), invoice, globex)).status).toBe(401)
    expect((await postStripe(to('initech'), invoice, acme)).status).toBe(401)
    await waitFor(() => output().includes('[handler] globex invoice.paid'), 'both tenants')
    expect(output()).toContain('[handler] acme invoice.paid in_mt_1 4200')
    expect(output()).toContain('[handler] globex invoice.paid in_mt_1 4200')
    expect((output().match(/\[handler\]/g) ?? []).length).toBe(2)
  })
})
