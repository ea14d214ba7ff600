/**
 * The built `hookguard` bin, for tests that run it as users do. It is built
 * with the project's own tsup config (ESM, no declarations) into a private
 * folder, so a concurrent `npm run build` (which cleans dist/) cannot pull
 * it away mid-test; the bin file itself is copied next to it unchanged. The
 * build reruns only when a file it was built from (per esbuild's metafile)
 * changed, and one lock serialises test files that need it at once.
 */
import { execFileSync, spawn } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const ROOT = resolve(import.meta.dirname, '../../..')
const BUILDS = join(ROOT, '.tmp/cli-build')
const CURRENT = join(BUILDS, 'current')
const LOCK = join(ROOT, '.tmp/cli-build.lock')
/** The bin this test file runs, set by builtBin(). */
let bin: string | undefined

function currentBuild(): string | undefined {
  if (!existsSync(CURRENT)) return undefined
  const dir = join(BUILDS, readFileSync(CURRENT, 'utf8').trim())
  return existsSync(join(dir, 'stamp')) ? dir : undefined
}

function newestInput(dir: string): number {
  const metafile = join(dir, 'dist/metafile-esm.json')
  if (!existsSync(metafile)) return Infinity
  const inputs = Object.keys(JSON.parse(readFileSync(metafile, 'utf8')).inputs as Record<string, unknown>)
  const files = [
    ...inputs.map((input) => join(ROOT, input)),
    join(ROOT, 'bin/hookguard.mjs'),
    join(ROOT, 'tsup.config.ts'),
  ]
  let newest = 0
  for (const file of files) newest = Math.max(newest, existsSync(file) ? statSync(file).mtimeMs : Infinity)
  return newest
}

/** The current build when none of its inputs changed since, else undefined. */
function fresh(): string | undefined {
  const dir = currentBuild()
  if (!dir) return undefined
  return newestInput(dir) > Number(readFileSync(join(dir, 'stamp'), 'utf8')) ? undefined : dir
}

/**
 * A new build in a folder of its own: test files already running keep the
 * build they started with, whatever gets rebuilt meanwhile. Builds older
 * than an hour (but the current one) are removed.
 */
function build(): string {
  const started = Date.now()
  const name = `${started}-${process.pid}`
  const dir = join(BUILDS, name)
  execFileSync('npx', ['tsup', '--format', 'esm', '--no-dts', '--metafile', '--out-dir', join(dir, 'dist')], {
    cwd: ROOT,
    stdio: 'pipe',
  })
  mkdirSync(join(dir, 'bin'), { recursive: true })
  copyFileSync(join(ROOT, 'bin/hookguard.mjs'), join(dir, 'bin/hookguard.mjs'))
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'hookguard', version, type: 'module' }))
  writeFileSync(join(dir, 'stamp'), String(started))
  writeFileSync(`${CURRENT}.${process.pid}`, name)
  renameSync(`${CURRENT}.${process.pid}`, CURRENT)
  for (const old of readdirSync(BUILDS)) {
    const path = join(BUILDS, old)
    if (old !== name && /^\d+-\d+$/.test(old) && started - statSync(path).mtimeMs > 3_600_000)
      rmSync(path, { recursive: true, force: true })
  }
  return dir
}

async function withLock<T>(work: () => T): Promise<T> {
  mkdirSync(BUILDS, { recursive: true })
  for (let waited = 0; ; waited += 250) {
    try {
      mkdirSync(LOCK)
      break
    } catch {
      // A lock older than 5 minutes was left by a killed run.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 300_000)
        rmSync(LOCK, { recursive: true, force: true })
      if (waited > 300_000) throw new Error('timed out waiting for the CLI build lock')
      await sleep(250)
    }
  }
  try {
    return work()
  } finally {
    rmSync(LOCK, { recursive: true, force: true })
  }
}

/** Builds the bin if it is missing or older than its sources; returns its path. Call it in beforeAll. */
export async function builtBin(): Promise<string> {
  const dir = fresh() ?? (await withLock(() => fresh() ?? build()))
  bin = join(dir, 'bin/hookguard.mjs')
  return bin
}

function binPath(): string {
  if (!bin) throw new Error('call builtBin() in beforeAll first')
  return bin
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
  /** stdout exactly as written. */
  stdoutBytes: Buffer
}

export interface RunOptions {
  env?: Record<string, string | undefined>
  input?: string | Uint8Array
  cwd?: string
  timeoutMs?: number
}

/** Runs the built bin to completion. */
export function run(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [binPath(), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env } as NodeJS.ProcessEnv,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stdout: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const stdoutBytes = Buffer.concat(stdout)
      resolvePromise({ code, stdout: stdoutBytes.toString('utf8'), stderr, stdoutBytes })
    })
    child.stdin.end(options.input ?? '')
  })
}

/** Starts the built bin and leaves it running (`tail`, `inspect`); stop it with `child.kill('SIGINT')`. */
export function start(args: readonly string[], options: RunOptions = {}) {
  const child = spawn(process.execPath, [binPath(), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<number | null>((resolvePromise) => child.on('close', (code) => resolvePromise(code)))
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    /** Resolves once stdout matches `pattern`. */
    async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const match = stdout.match(pattern)
        if (match) return match
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no ${pattern} in output; stdout: ${stdout.slice(-2000)} stderr: ${stderr.slice(-2000)}`)
        await sleep(50)
      }
    },
  }
}
