/**
 * The examples start as their READMEs say (tsx, importing the package by its
 * name through the tsconfig path mapping) and accept signed Stripe and
 * GitHub deliveries.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { github, stripe } from '../../src/providers/index.js'
import { signRequest } from '../../src/testing.js'
import { send } from './http.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill()
})

/** Start an example on a free port; resolves with its base URL and a growing log. */
function start(name: string): Promise<{ base: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `examples/${name}/server.ts`], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) resolve({ base: match[1]!, output: () => output })
    })
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.on('exit', (code) => reject(new Error(`example ${name} exited with ${code}: ${output}`)))
  })
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20))
}

describe('examples', () => {
  for (const name of ['express', 'koa', 'hono']) {
    it(`${name}: receives Stripe and GitHub deliveries`, async () => {
      const { base, output } = await start(name)
      const stripeProvider = stripe({ secret: 'whsec_example_only_0123456789abcdef' })
      const githubProvider = github({ secret: 'example-only-github-secret' })
      const event = JSON.stringify({
        id: `evt_${name}`,
        object: 'event',
        type: 'customer.created',
        data: { object: {} },
      })
      const signedStripe = await signRequest(stripeProvider, { body: event })
      const first = await send(`${base}/webhooks/stripe`, { headers: signedStripe.headers, body: signedStripe.body })
      expect(first.status, first.text).toBe(200)
      expect(
        (await send(`${base}/webhooks/stripe`, { headers: signedStripe.headers, body: signedStripe.body })).json,
      ).toMatchObject({ status: 'duplicate' })
      const push = JSON.stringify({ ref: 'refs/heads/main' })
      const signedPush = await signRequest(githubProvider, {
        body: push,
        id: `delivery-${name}`,
        headers: { 'x-github-event': 'push' },
      })
      expect(
        (await send(`${base}/webhooks/github`, { headers: signedPush.headers, body: signedPush.body })).status,
      ).toBe(200)
      expect((await send(`${base}/webhooks/github`, { headers: signedPush.headers, body: `${push} ` })).status).toBe(
        401,
      )
      await until(() => output().includes(`[worker] github push delivery-${name}`))
      expect(output()).toContain(`[worker] stripe customer.created evt_${name} attempt 1`)
    })
  }
})
