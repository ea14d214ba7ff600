/**
 * The built `hookguard` bin, for tests that run it as users do. It is built
 * with the project's own tsup config (ESM, no declarations) into a private
 * folder, so a concurrent `npm run build` (which cleans dist/) cannot pull
 * it away mid-test; the bin file itself is copied next to it unchanged. The
 * build reruns only when a file it was built from (per esbuild's metafile)
 * changed, and one lock serialises test files that need it at once.
 */
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const ROOT = resolve(import.meta.dirname, '../../..')
const OUT = join(ROOT, '.tmp/cli-build')
const LOCK = join(ROOT, '.tmp/cli-build.lock')
export const BIN = join(OUT, 'bin/hookguard.mjs')

function newestInput(): number {
  const metafile = join(OUT, 'dist/metafile-esm.json')
  if (!existsSync(metafile) || !existsSync(BIN)) return Infinity
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

function stale(): boolean {
  const stamp = join(OUT, 'stamp')
  return !existsSync(stamp) || newestInput() > Number(readFileSync(stamp, 'utf8'))
}

function build(): void {
  const started = Date.now()
  rmSync(OUT, { recursive: true, force: true })
  execFileSync('npx', ['tsup', '--format', 'esm', '--no-dts', '--metafile', '--out-dir', join(OUT, 'dist')], {
    cwd: ROOT,
    stdio: 'pipe',
  })
  mkdirSync(join(OUT, 'bin'), { recursive: true })
  copyFileSync(join(ROOT, 'bin/hookguard.mjs'), BIN)
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
  writeFileSync(join(OUT, 'package.json'), JSON.stringify({ name: 'hookguard', version, type: 'module' }))
  writeFileSync(join(OUT, 'stamp'), String(started))
}

async function withLock<T>(work: () => T): Promise<T> {
  mkdirSync(dirname(LOCK), { recursive: true })
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

/** Builds the bin if it is missing or older than its sources; returns its path. */
export async function builtBin(): Promise<string> {
  if (!stale()) return BIN
  await withLock(() => {
    if (stale()) build()
  })
  return BIN
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
    const child = spawn(process.execPath, [BIN, ...args], {
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
  const child = spawn(process.execPath, [BIN, ...args], {
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
