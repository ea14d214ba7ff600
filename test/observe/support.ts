/**
 * Shared by the observability tests: a receiver behind the node:http
 * adapter on a real port, signed and forged Stripe deliveries, and a wait.
 */
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hookguard } from '../../adapters/node.js'
import { stripe } from '../../src/providers/index.js'
import type { Receiver } from '../../src/receiver/index.js'
import { signRequest } from '../../src/testing.js'
import type { DedupeStore, Provider } from '../../src/types/index.js'
import { send, type Answer } from '../adapters/http.js'

export const SECRET = 'whsec_observe_test_secret_0123456789abcdef'
/** Put in every body, so a test can prove no body reached a span or a metric. */
export const BODY_MARKER = 'card_holder_Zq7Body'

export const provider = (): Provider => stripe({ secret: SECRET })

export function stripeBody(id: string, type = 'invoice.paid'): string {
  return JSON.stringify({ id, object: 'event', type, data: { object: { note: BODY_MARKER } } })
}

export interface Served {
  url: string
  close(): Promise<void>
}

/** Serve `receiver` with the node adapter; `wrap` lets a test run the listener inside its own context. */
export async function serve(
  receiver: Receiver,
  wrap: (listener: RequestListener) => RequestListener = (l) => l,
): Promise<Served> {
  const server = createServer(wrap(hookguard(receiver) as RequestListener))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The signature header of the last signed delivery, to prove it was recorded nowhere. */
export const signatures: string[] = []

export async function deliver(url: string, id: string, type?: string): Promise<Answer> {
  const signed = await signRequest(provider(), { body: stripeBody(id, type) })
  signatures.push(signed.headers['stripe-signature']!)
  return send(url, { headers: signed.headers, body: signed.body })
}

/** Signed, then one body byte changed: a forgery the receiver answers 401. */
export async function forge(url: string, id: string): Promise<Answer> {
  const body = stripeBody(id)
  const signed = await signRequest(provider(), { body })
  signatures.push(signed.headers['stripe-signature']!)
  return send(url, { headers: signed.headers, body: body.replace('invoice', 'inVoice') })
}

/** A store whose reserve fails: the receiver answers 503. */
export function brokenStore(): DedupeStore {
  const fail = () => Promise.reject(new Error('connection refused 10.0.0.9'))
  return { reserve: fail, complete: fail, release: () => Promise.resolve() } as unknown as DedupeStore
}

export async function waitFor(check: () => boolean | Promise<boolean>, what = 'condition', ms = 8000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export function tempDir(label: string): { file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `hookguard-observe-${label}-`))
  return { file: (name) => join(dir, `${name}.db`), cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}
