/**
 * What "frozen after the response" does to webhook events, shown on a real
 * process: each case starts one function instance (serverless/instance.ts)
 * that freezes itself (SIGSTOP) once its response is sent and its waitUntil
 * promises settled, as Vercel, Netlify and Cloudflare Workers do. The test
 * then kills the frozen instance, as the platform may.
 *
 * - memory queue, nothing keeping it alive: the sender got 200, the handler
 *   never finished — the event is lost (the reason for inline mode).
 * - inline mode: the handler finished before the 200; a failing handler
 *   gets a 500 and the provider's retry delivers it.
 * - waitUntil (Workers' ctx, the option, the Next.js/Vercel request
 *   context): the instance freezes only after the handler finished.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { stripe } from '../../src/providers/index.js'
import { signRequest } from '../../src/testing.js'
import type { InstanceConfig, Mode } from './serverless/instance.js'

const SECRET = 'whsec_reach_freeze_0123456789abcdef'
const provider = stripe({ secret: SECRET })
const dir = mkdtempSync(join(tmpdir(), 'hookguard-freeze-'))
const source = fileURLToPath(new URL('./serverless/instance.ts', import.meta.url))
let bundle: Promise<string> | undefined

/** Bundled once with esbuild, so each instance starts as plain Node. */
function bundled(): Promise<string> {
  bundle ??= (async () => {
    const { build } = await import('esbuild')
    const outfile = fileURLToPath(
      new URL(`../../node_modules/.cache/hookguard-reach/instance-${process.pid}.mjs`, import.meta.url),
    )
    await build({
      entryPoints: [source],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    })
    return outfile
  })()
  return bundle
}

interface Instance {
  port: number
  child: ChildProcess
  marker: string
}

const running: ChildProcess[] = []
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (bundle) rmSync(await bundle, { force: true })
})

async function start(mode: Mode, extra: Partial<InstanceConfig> = {}): Promise<Instance> {
  const marker = join(dir, `${mode}-${Math.random().toString(36).slice(2)}.log`)
  const config: InstanceConfig = { mode, secret: SECRET, marker, ...extra }
  const child = spawn(process.execPath, [await bundled()], {
    env: { ...process.env, HOOKGUARD_INSTANCE: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  running.push(child)
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`instance exited early (${code ?? signal})`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const message = JSON.parse(line) as { listening?: number }
      if (message.listening) resolve(message.listening)
    })
  })
  return { port, child, marker }
}

async function deliver(instance: Instance, id: string): Promise<{ status: number; body: any }> {
  const raw = JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } })
  const signed = await signRequest(provider, { body: raw })
  const res = await fetch(`http://127.0.0.1:${instance.port}/api/webhooks`, {
    method: 'POST',
    headers: { ...signed.headers, 'content-type': 'application/json', connection: 'close' },
    body: raw,
  })
  return { status: res.status, body: await res.json() }
}

/** Process state from /proc: 'T' once the instance froze itself. */
function state(child: ChildProcess): string {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
}

async function frozen(instance: Instance): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (state(instance.child) === 'T') return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('the instance did not freeze after its response')
}

async function kill(instance: Instance): Promise<void> {
  const exited = new Promise((resolve) => instance.child.once('exit', resolve))
  instance.child.kill('SIGKILL')
  await exited
}

function handled(instance: Instance): string[] {
  return existsSync(instance.marker) ? readFileSync(instance.marker, 'utf8').split('\n').filter(Boolean) : []
}

describe('a function instance frozen right after its response', () => {
  it('memory queue with nothing keeping it alive: 200 to the sender, handler never finishes — the event is lost', async () => {
    const instance = await start('memory-queue')
    const answer = await deliver(instance, 'evt_lost')
    expect(answer).toEqual({ status: 200, body: { ok: true, status: 'accepted', id: 'evt_lost' } })
    await frozen(instance)
    await kill(instance)
    // The sender saw a 2xx, so it will not retry: nothing will ever run this event.
    expect(handled(instance)).toEqual([])
  })

  it('memory queue: the handler was only suspended by the freeze — thawed, it finishes (control for the case above)', async () => {
    const instance = await start('memory-queue')
    expect((await deliver(instance, 'evt_thawed')).status).toBe(200)
    await frozen(instance)
    expect(handled(instance)).toEqual([])
    instance.child.kill('SIGCONT')
    for (let i = 0; i < 200 && handled(instance).length === 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(handled(instance)).toEqual(['evt_thawed'])
  })

  it('inline mode: the handler finished before the 200', async () => {
    const instance = await start('inline')
    const answer = await deliver(instance, 'evt_inline')
    expect(handled(instance)).toEqual(['evt_inline'])
    expect(answer).toEqual({ status: 200, body: { ok: true, status: 'accepted', id: 'evt_inline' } })
    await frozen(instance)
    await kill(instance)
    expect(handled(instance)).toEqual(['evt_inline'])
  })

  it('inline mode: a failing handler is a 500, the key is released, and the provider’s retry delivers it', async () => {
    const instance = await start('inline', { failFirst: true })
    const first = await deliver(instance, 'evt_retried')
    expect(first).toEqual({
      status: 500,
      body: { ok: false, error: { code: 'handler.failed', message: 'Internal error' } },
    })
    expect(handled(instance)).toEqual([])
    await frozen(instance)
    // The retry thaws the same instance (it could as well reach a fresh one).
    instance.child.kill('SIGCONT')
    const retry = await deliver(instance, 'evt_retried')
    expect(retry).toEqual({ status: 200, body: { ok: true, status: 'accepted', id: 'evt_retried' } })
    expect(handled(instance)).toEqual(['evt_retried'])
  })

  it.each([
    ['workers-ctx', "Workers' (request, env, ctx) with ctx.waitUntil"],
    ['wait-until-option', 'the waitUntil option'],
    ['next-request-context', 'the request context Next.js after() uses on Vercel and Netlify'],
  ] as Array<[Mode, string]>)(
    'memory queue kept alive through %s (%s): the handler finishes before the freeze',
    async (mode) => {
      const instance = await start(mode)
      const answer = await deliver(instance, `evt_${mode}`)
      expect(answer.status).toBe(200)
      await frozen(instance)
      await kill(instance)
      expect(handled(instance)).toEqual([`evt_${mode}`])
    },
  )
})
