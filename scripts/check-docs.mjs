#!/usr/bin/env node
/* global fetch */
/**
 * `npm run check:docs`: every TypeScript snippet in README.md and docs/**.md
 * compiles, and the ones marked `run` serve real, signed deliveries.
 *
 * 1. Collects every ```ts / ```typescript fence (docs/api, which TypeDoc
 *    generates, and node_modules are skipped) and writes each one as its own
 *    module under .tmp/check-docs/.
 * 2. Type-checks them all in one `tsc` run: --strict, module and
 *    moduleResolution NodeNext, with `paths` mapping 'hookguard' and
 *    'hookguard/*' to the sources (as the root tsconfig does), so a snippet
 *    compiles exactly as a user's file would against the published types.
 *    experimentalDecorators is on for the NestJS recipe (Nest needs it).
 * 3. Runs each fence marked `run` with tsx in a scratch directory. A
 *    server (a snippet that reads process.env.PORT or calls listen/serve)
 *    must print a line and accept connections on its port; it then gets a
 *    correctly signed delivery (signRequest from src/testing.ts) that must
 *    be answered 2xx, and the same delivery with one byte of the body
 *    changed, which must be answered 401; then it is stopped. Any other
 *    snippet (a test, a script with node:assert) must exit 0 within 60 s.
 *
 * Fence meta (after the language):
 *   ```ts            compiled
 *   ```ts run        compiled and run (see below)
 *   ```ts no-check   skipped; only for fragments that cannot compile on
 *                    their own. The line before the fence must say why:
 *                    <!-- no-check: the reason -->
 * VitePress's own meta (`[title]`, `{1,3}`) may follow.
 *
 * What a `run` snippet gets:
 *   PORT                    a free port; the snippet must listen on it
 *                           (a snippet that never reads process.env.PORT
 *                           must listen on a literal port, which is used)
 *   STRIPE_WEBHOOK_SECRET   whsec_… (stripe)
 *   GITHUB_WEBHOOK_SECRET   (github)
 *   WEBHOOK_SECRET          whsec_<base64> (standardWebhooks)
 *   SLACK_SIGNING_SECRET    (slack)
 *   SHOPIFY_WEBHOOK_SECRET  (shopify)
 * The provider is the first of these factories the snippet calls; the path
 * is the first '/webhooks/…' string literal in it (default /webhooks/<name>).
 *
 * Usage: node scripts/check-docs.mjs [--no-run] [file-or-prefix …]
 * Exit: 0 when everything compiled and ran, 1 otherwise (each failure names
 * the file:line of its fence).
 */
import { spawn } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { clearTimeout, setTimeout } from 'node:timers'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
// One directory per run: two runs at once (CI, an editor, a person) never share files.
const work = join(root, '.tmp', 'check-docs', String(process.pid))
const blocksDir = join(work, 'blocks')
const args = process.argv.slice(2)
const runBlocks = !args.includes('--no-run')
const only = args.filter((arg) => !arg.startsWith('--'))
const started = performance.now()

/** Secrets handed to `run` snippets, by provider factory. */
const PROVIDERS = {
  stripe: { env: 'STRIPE_WEBHOOK_SECRET', secret: `whsec_docs_${randomBytes(12).toString('hex')}` },
  github: { env: 'GITHUB_WEBHOOK_SECRET', secret: `docs-${randomBytes(16).toString('hex')}` },
  standardWebhooks: { env: 'WEBHOOK_SECRET', secret: `whsec_${randomBytes(24).toString('base64')}` },
  slack: { env: 'SLACK_SIGNING_SECRET', secret: randomBytes(16).toString('hex') },
  shopify: { env: 'SHOPIFY_WEBHOOK_SECRET', secret: `shpss_${randomBytes(16).toString('hex')}` },
}

// ---------------------------------------------------------------- collect

function markdownFiles() {
  const files = ['README.md']
  const walk = (dir) => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = join(dir, name)
      if (name === 'node_modules' || name.startsWith('.') || path === join('docs', 'api')) continue
      if (statSync(join(root, path)).isDirectory()) walk(path)
      else if (name.endsWith('.md')) files.push(path)
    }
  }
  walk('docs')
  return files.filter((file) => only.length === 0 || only.some((prefix) => file.startsWith(prefix)))
}

/** Every fenced block of a Markdown file: language, meta words, body, line of the opening fence (1-based). */
function fences(text) {
  const lines = text.split('\n')
  const found = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`{[]*)(.*)$/.exec(lines[i])
    if (!open) continue
    const [, indent, marker, lang, rest] = open
    const body = []
    let j = i + 1
    const close = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`)
    for (; j < lines.length && !close.test(lines[j]); j++)
      body.push(lines[j].slice(Math.min(indent.length, lines[j].search(/\S|$/))))
    const meta = rest
      .replace(/\[[^\]]*\]|\{[^}]*\}/g, ' ')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
    found.push({ lang: lang.toLowerCase(), meta, body: body.join('\n'), line: i + 1, before: lines[i - 1] ?? '' })
    i = j
  }
  return found
}

function collect() {
  const blocks = []
  const problems = []
  let skipped = 0
  for (const file of markdownFiles()) {
    for (const fence of fences(readFileSync(join(root, file), 'utf8'))) {
      if (fence.lang !== 'ts' && fence.lang !== 'typescript') continue
      const where = `${file}:${fence.line}`
      const unknown = fence.meta.filter((word) => word !== 'run' && word !== 'no-check')
      if (unknown.length > 0) problems.push(`${where}: unknown fence meta ${unknown.join(' ')} (use run or no-check)`)
      if (fence.meta.includes('no-check')) {
        if (!/<!--\s*no-check:\s*\S/.test(fence.before))
          problems.push(`${where}: a no-check fence needs a reason on the line before: <!-- no-check: why -->`)
        skipped++
        continue
      }
      const name = `${file
        .replaceAll(sep, '__')
        .replace(/\.md$/, '')
        .replace(/[^A-Za-z0-9_-]/g, '_')}__L${fence.line}.ts`
      blocks.push({ file, line: fence.line, where, name, body: fence.body, run: fence.meta.includes('run') })
    }
  }
  return { blocks, problems, skipped }
}

// ---------------------------------------------------------------- compile

function writeProject(blocks) {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(blocksDir, { recursive: true })
  const up = relative(work, root).split(sep).join('/')
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2024', 'DOM', 'DOM.Iterable'],
      types: ['node'],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      esModuleInterop: true,
      resolveJsonModule: true,
      isolatedModules: true,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      paths: {
        hookguard: [`${up}/src/index.ts`],
        'hookguard/*': [`${up}/adapters/*.ts`, `${up}/src/*.ts`, `${up}/src/*/index.ts`],
      },
    },
    include: ['blocks'],
  }
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2))
  for (const block of blocks) {
    // Each snippet is its own module: names never clash, top-level await works.
    const isModule = /^\s*(import|export)\s/m.test(block.body)
    writeFileSync(join(blocksDir, block.name), block.body + (isModule ? '\n' : '\nexport {}\n'))
  }
}

function exec(command, argv, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { cwd: root, ...options })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('close', (code) => resolve({ code, output }))
  })
}

/** Runs tsc once over every block; returns the failures, each pointing at the Markdown line. */
async function compile(blocks) {
  const byName = new Map(blocks.map((block) => [block.name, block]))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const { code, output } = await exec(process.execPath, [tsc, '-p', join(work, 'tsconfig.json'), '--pretty', 'false'])
  const failures = []
  for (const entry of output.split(/\n(?=\S)/)) {
    const match = /^(.*?)\((\d+),(\d+)\): (error .*)$/s.exec(entry.trim())
    if (!match) continue
    const [, path, line, column, message] = match
    const block = byName.get(path.split(/[\\/]/).pop())
    if (block) {
      block.failed = true
      failures.push(`${block.file}:${block.line + Number(line)}:${column} (fence at line ${block.line}): ${message}`)
    } else {
      failures.push(`${relative(root, join(work, path))}(${line},${column}) [not a snippet]: ${message}`)
    }
  }
  if (code !== 0 && failures.length === 0) failures.push(`tsc exited with ${code}:\n${output}`)
  return failures
}

// ---------------------------------------------------------------- run

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.once('connect', () => (socket.destroy(), resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const isServer = (body) => /process\.env\.PORT|\.listen\(|\bserve\(/.test(body)

function runPlan(block) {
  const factories = Object.keys(PROVIDERS)
  const calls = [...block.body.matchAll(/\b([A-Za-z]+)\(\s*\{/g)].map((match) => match[1])
  const provider = calls.find((name) => factories.includes(name))
  if (!provider) return { error: `no provider the checker can sign for (one of ${factories.join(', ')})` }
  const path = /['"`](\/webhooks\/[A-Za-z0-9/_-]*)['"`]/.exec(block.body)?.[1] ?? `/webhooks/${provider}`
  const readsPort = /process\.env\.PORT/.test(block.body)
  const literal = /(?:listen\(\s*(?:\{\s*port:\s*)?|port:\s*)(\d{2,5})\b/.exec(block.body)?.[1]
  if (!readsPort && !literal)
    return { error: 'the snippet neither reads process.env.PORT nor listens on a literal port' }
  return { provider, path, port: readsPort ? undefined : Number(literal) }
}

let testing
async function signer() {
  if (!testing) {
    const { tsImport } = await import('tsx/esm/api')
    const [core, helpers] = await Promise.all([
      tsImport(join(root, 'src', 'index.ts'), import.meta.url),
      tsImport(join(root, 'src', 'testing.ts'), import.meta.url),
    ])
    testing = { core, signRequest: helpers.signRequest }
  }
  return testing
}

function deliveryBody(provider, n) {
  if (provider === 'stripe')
    return {
      id: `evt_docs_${n}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: { id: `pi_${n}` } },
    }
  if (provider === 'slack')
    return { type: 'event_callback', event_id: `Ev_docs_${n}`, event: { type: 'app_mention', text: 'hi' } }
  return { id: `docs_${n}`, type: 'docs.check', data: { n } }
}

async function deliver(url, plan, n) {
  const { core, signRequest } = await signer()
  const provider = core[plan.provider]({ secret: PROVIDERS[plan.provider].secret })
  const body = JSON.stringify(deliveryBody(plan.provider, n))
  const signed = await signRequest(provider, { body, id: `docs_${n}`, url })
  const post = (payload) => fetch(url, { method: 'POST', headers: signed.headers, body: payload })
  const good = await post(signed.body)
  const goodText = await good.text()
  const forged = await post(body.replace(/}$/, ' }'))
  await forged.arrayBuffer()
  const problems = []
  if (good.status < 200 || good.status > 299) problems.push(`signed delivery got ${good.status} ${goodText}`)
  if (forged.status !== 401) problems.push(`a delivery with an edited body got ${forged.status}, not 401`)
  return problems
}

/** A snippet that is not a server: it must finish with exit code 0. */
async function runScript(block, n) {
  const scratch = join(work, `run-${n}`)
  mkdirSync(scratch, { recursive: true })
  const env = { ...process.env, TSX_TSCONFIG_PATH: join(work, 'tsconfig.json') }
  for (const { env: name, secret } of Object.values(PROVIDERS)) env[name] = secret
  const child = spawn(process.execPath, ['--import', 'tsx', join(blocksDir, block.name)], {
    cwd: scratch,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const [code, signal] = await new Promise((resolve) => child.on('exit', (...result) => resolve(result)))
  clearTimeout(timer)
  if (code === 0) return []
  return [`${block.where}: exited with ${signal ?? code}\n    output: ${output.trim().slice(0, 3000) || '(nothing)'}`]
}

async function runOne(block, n) {
  if (!isServer(block.body)) return runScript(block, n)
  const plan = runPlan(block)
  if (plan.error) return [`${block.where}: cannot run: ${plan.error}`]
  const port = plan.port ?? (await freePort())
  if (plan.port && (await accepts(port))) return [`${block.where}: port ${port} is already in use`]
  const scratch = join(work, `run-${n}`)
  mkdirSync(scratch, { recursive: true })
  const env = { ...process.env, PORT: String(port), TSX_TSCONFIG_PATH: join(work, 'tsconfig.json') }
  for (const { env: name, secret } of Object.values(PROVIDERS)) env[name] = secret
  const child = spawn(process.execPath, ['--import', 'tsx', join(blocksDir, block.name)], {
    cwd: scratch,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let exited
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const gone = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exited = signal ?? code))))
  const log = () =>
    `\n    stdout: ${stdout.trim() || '(nothing)'}\n    stderr: ${stderr.trim().slice(0, 2000) || '(nothing)'}`
  try {
    const deadline = Date.now() + 60_000
    while (!(stdout.trim() && (await accepts(port)))) {
      if (exited !== undefined) return [`${block.where}: exited (${exited}) before serving on port ${port}${log()}`]
      if (Date.now() > deadline)
        return [`${block.where}: did not print a line and listen on port ${port} within 60 s${log()}`]
      await sleep(100)
    }
    const problems = await deliver(`http://127.0.0.1:${port}${plan.path}`, plan, n)
    return problems.map((problem) => `${block.where}: POST ${plan.path} (${plan.provider}): ${problem}${log()}`)
  } catch (error) {
    return [`${block.where}: ${error}${log()}`]
  } finally {
    if (exited === undefined) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await gone
      clearTimeout(timer)
    }
  }
}

// ---------------------------------------------------------------- main

const { blocks, problems, skipped } = collect()
writeProject(blocks)
const failures = [...problems, ...(await compile(blocks))]
const compiled = blocks.filter((block) => !block.failed).length
const compileSeconds = ((performance.now() - started) / 1000).toFixed(1)
const ran = { servers: 0, scripts: 0 }
const runnable = blocks.filter((block) => block.run)
if (runBlocks) {
  for (const [index, block] of runnable.entries()) {
    if (block.failed) continue
    const result = await runOne(block, index + 1)
    if (result.length === 0) ran[isServer(block.body) ? 'servers' : 'scripts']++
    failures.push(...result)
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1)
const files = new Set(blocks.map((block) => block.file)).size
for (const failure of failures) console.error(`✗ ${failure}`)
console.log(
  `check:docs: ${blocks.length} TypeScript snippets in ${files} files: ${compiled} compiled (tsc ${compileSeconds} s), ` +
    (runBlocks
      ? `${ran.servers + ran.scripts} of ${runnable.length} ran (${ran.servers} servers answered a signed delivery 2xx ` +
        `and a forged one 401, ${ran.scripts} scripts exited 0)`
      : `${runnable.length} not run (--no-run)`) +
    `, ${skipped} no-check; ${failures.length} failure(s) in ${seconds} s`,
)
if (failures.length === 0) rmSync(work, { recursive: true, force: true })
else console.log(`the snippets as compiled and run are in ${relative(root, work)}`)
process.exitCode = failures.length === 0 ? 0 : 1
