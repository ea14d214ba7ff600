/**
 * hookguard/fetch and the Web Crypto backend on other runtimes: one worker
 * app (runtimes/worker.ts), bundled by esbuild, served by workerd (through
 * miniflare), Bun, Deno, and Node with node:crypto taken away, each sent the
 * same signed deliveries over real HTTP on loopback. Every runtime must give
 * the same answers as Node with node:crypto. A runtime whose npm package is
 * not installed is skipped, and its test title says so.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { github, stripe } from '../../src/providers/index.js'
import { signRequest } from '../../src/testing.js'
import { GITHUB_SECRET, STRIPE_SECRET } from './runtimes/secrets.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = (name: string) => join(root, 'node_modules', '.bin', name)
const dir = mkdtempSync(join(tmpdir(), 'hookguard-runtimes-'))
const HAS = {
  bun: existsSync(bin('bun')),
  deno: existsSync(bin('deno')),
  miniflare: existsSync(join(root, 'node_modules', 'miniflare', 'package.json')),
}

async function bundle(entry: string, platform: 'neutral' | 'node'): Promise<string> {
  const { build } = await import('esbuild')
  const outfile = join(dir, `${entry}-${platform}.mjs`)
  await build({
    entryPoints: [fileURLToPath(new URL(`./runtimes/${entry}.ts`, import.meta.url))],
    outfile,
    bundle: true,
    format: 'esm',
    platform,
    target: 'es2022',
    mainFields: ['module', 'main'],
    logLevel: 'error',
  })
  return outfile
}

const children: ChildProcess[] = []
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

/** Start a host process and wait for its `{"listening":port}` line. */
async function host(command: string, args: string[]): Promise<{ base: string; version: string }> {
  const child = spawn(command, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  })
  children.push(child)
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${stderr}`)), 15_000)
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}): ${stderr}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const message = JSON.parse(line) as { listening?: number; version?: string }
        if (!message.listening) return
        clearTimeout(timer)
        resolve({ base: `http://127.0.0.1:${message.listening}`, version: message.version ?? '' })
      } catch {
        // Not ours.
      }
    })
  })
}

interface Observed {
  answers: Array<[string, number, string | undefined]>
  handled: string[]
  backend: string
  serverless: string | null
  keptAlive: boolean
}

const stripeProvider = stripe({ secret: STRIPE_SECRET })
const githubProvider = github({ secret: GITHUB_SECRET })
const stripeBody = (id: string) => JSON.stringify({ id, object: 'event', type: 'invoice.paid', data: { object: {} } })

async function post(base: string, path: string, headers: Record<string, string>, body: string) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body })
  const json = (await res.json()) as { status?: string; error?: { code: string } }
  return [path, res.status, json.status ?? json.error?.code] as [string, number, string | undefined]
}

/** The same deliveries for every runtime; returns what came back and what ran. */
async function exercise(base: string): Promise<Observed> {
  const answers: Observed['answers'] = []
  const valid = await signRequest(stripeProvider, { body: stripeBody('evt_rt_1') })
  const json = { 'content-type': 'application/json' }
  answers.push(await post(base, '/stripe', { ...valid.headers, ...json }, valid.body as string))
  answers.push(await post(base, '/stripe', { ...valid.headers, ...json }, valid.body as string))
  answers.push(await post(base, '/stripe', { ...valid.headers, ...json }, `${valid.body} `))
  const stale = await signRequest(stripeProvider, {
    body: stripeBody('evt_rt_stale'),
    timestamp: Math.floor(Date.now() / 1000) - 3600,
  })
  answers.push(await post(base, '/stripe', { ...stale.headers, ...json }, stale.body as string))
  const other = await signRequest(stripeProvider, { body: stripeBody('evt_rt_2') })
  answers.push(await post(base, '/stripe-default', { ...other.headers, ...json }, other.body as string))
  const push = await signRequest(githubProvider, { body: JSON.stringify({ zen: 'Keep it simple.' }), id: 'gh-rt-1' })
  answers.push(await post(base, '/github', { ...push.headers, ...json, 'x-github-event': 'push' }, push.body as string))
  const inline = await signRequest(stripeProvider, { body: stripeBody('evt_rt_inline') })
  answers.push(await post(base, '/inline', { ...inline.headers, ...json }, inline.body as string))
  const get = await fetch(`${base}/stripe`)
  answers.push(['/stripe GET', get.status, ((await get.json()) as { error: { code: string } }).error.code])
  // The memory queue runs its handler after the 2xx: wait for it (bounded).
  let state = { handled: [] as string[], backend: '', serverless: null as string | null, keptAlive: false }
  for (let i = 0; i < 100; i++) {
    state = (await (await fetch(`${base}/state`)).json()) as typeof state
    if (state.handled.length >= 4) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { ...state, answers, handled: [...state.handled].sort() }
}

const EXPECTED_ANSWERS: Observed['answers'] = [
  ['/stripe', 200, 'accepted'],
  ['/stripe', 200, 'duplicate'],
  ['/stripe', 401, 'unauthorized'],
  ['/stripe', 401, 'unauthorized'],
  ['/stripe-default', 200, 'accepted'],
  ['/github', 200, 'accepted'],
  ['/inline', 200, 'accepted'],
  ['/stripe GET', 405, 'method.not_allowed'],
]
const EXPECTED_HANDLED = ['github:gh-rt-1', 'stripe:evt_rt_1', 'stripe:evt_rt_2', 'stripe:evt_rt_inline']

let workerScript: string
let nodeHost: string
let reference: Observed

beforeAll(async () => {
  workerScript = await bundle('worker', 'neutral')
  nodeHost = await bundle('node-host', 'node')
  writeFileSync(join(dir, 'hide-node-crypto.mjs'), 'process.getBuiltinModule = undefined\n')
  const node = await host(process.execPath, [nodeHost])
  reference = await exercise(node.base)
}, 60_000)

describe('hookguard/fetch beyond Node', () => {
  it('the reference: Node with node:crypto answers the expected table', () => {
    expect(reference).toEqual({
      answers: EXPECTED_ANSWERS,
      handled: EXPECTED_HANDLED,
      backend: 'node',
      serverless: null,
      keptAlive: false,
    })
  })

  it('Node with node:crypto hidden runs the Web Crypto backend and answers the same', async () => {
    const node = await host(process.execPath, ['--import', './hide-node-crypto.mjs', nodeHost])
    const observed = await exercise(node.base)
    expect(observed.backend).toBe('web')
    expect({ ...observed, backend: 'node' }).toEqual(reference)
  })

  async function onWorkerd(script: string, compatibilityFlags: string[]): Promise<Observed> {
    const { Miniflare } = await import('miniflare')
    const mf = new Miniflare({
      modules: true,
      scriptPath: script,
      modulesRoot: dir,
      compatibilityDate: '2025-09-01',
      compatibilityFlags,
      host: '127.0.0.1',
      port: 0,
    })
    try {
      return await exercise((await mf.ready).origin)
    } finally {
      await mf.dispose()
    }
  }

  it.skipIf(!HAS.miniflare)(
    `workerd with nodejs_compat${HAS.miniflare ? '' : ': miniflare not installed — skipped'}: same answers, detected as Workers, queue kept alive through ctx.waitUntil`,
    async () => {
      const observed = await onWorkerd(workerScript, ['nodejs_compat'])
      expect(observed).toEqual({
        ...reference,
        backend: 'node',
        serverless: 'cloudflare-workers',
        keptAlive: true,
      })
    },
    60_000,
  )

  it.skipIf(!HAS.miniflare)(
    `workerd without nodejs_compat${HAS.miniflare ? '' : ': miniflare not installed — skipped'}: Web Crypto only, same answers`,
    async () => {
      const observed = await onWorkerd(await bundle('worker', 'neutral'), [])
      expect(observed).toEqual({ ...reference, backend: 'web', serverless: 'cloudflare-workers', keptAlive: true })
    },
    60_000,
  )

  it.skipIf(!HAS.bun)(`Bun${HAS.bun ? '' : ': bun not installed — skipped'} answers the same (Bun.serve)`, async () => {
    const script = await bundle('bun-host', 'neutral')
    const bun = await host(bin('bun'), [script])
    expect(bun.version).toMatch(/^1\./)
    // Bun has node:crypto (process.getBuiltinModule): /stripe-default uses it, the other routes Web Crypto.
    expect(await exercise(bun.base)).toEqual(reference)
  })

  it.skipIf(!HAS.deno)(
    `Deno${HAS.deno ? '' : ': deno not installed — skipped'} answers the same (Deno.serve)`,
    async () => {
      const script = await bundle('deno-host', 'neutral')
      const deno = await host(bin('deno'), ['run', '--allow-net=127.0.0.1', '--no-prompt', script])
      expect(deno.version).toMatch(/^2\./)
      // Deno 2 has node:crypto too (and no env permission here: detection must not throw).
      expect(await exercise(deno.base)).toEqual(reference)
    },
  )
})
