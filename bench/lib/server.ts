/**
 * Parent side of a benchmark server: fork a fresh child per run (a new
 * process has no warm JIT, caches or store from the previous run), then
 * mark / report / stop it over IPC.
 *
 * The child runs as plain JavaScript, bundled once per benchmark process
 * with esbuild (packages stay external): no TypeScript loader in the
 * measured process, so the baselines run as compiled code like hookguard's
 * build, start-up is short, and profiles show no loader thread.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { build } from 'esbuild'
import { DIST } from './dist.js'
import { applyNice } from './machine.js'
import { TMP } from './report.js'
import type { ServerName, ServerOptions } from './servers/index.js'

export interface ServerSpec<S extends ServerName = ServerName> {
  server: S
  options: ServerOptions[S]
}

/** What the server used between `mark()` and `report()`. */
export interface ServerUsage {
  /** user + system CPU of the whole server process (GC threads included), µs. */
  cpuUs: number
  userUs: number
  systemUs: number
  /** Requests the server received. */
  served: number
  elapsedMs: number
  /** The window on the monotonic clock, µs: V8's CPU profiles use the same clock. */
  window: [number, number]
  /** Whatever the server module counts (events handled, store time …). */
  stats: Record<string, unknown>
}

export type ParentMessage = { type: 'mark' } | { type: 'report' } | { type: 'stop' }
export type ChildMessage = { type: 'ready'; port: number } | { type: 'marked' } | { type: 'report'; usage: ServerUsage }

export interface ServerHandle {
  pid: number
  url: string
  /** Start counting CPU and requests from now. */
  mark(): Promise<void>
  report(): Promise<ServerUsage>
  /** Ends the child and waits for it to exit (and write any profile). */
  stop(): Promise<void>
}

export interface StartOptions {
  /** Node flags for the child, e.g. ["--cpu-prof", "--cpu-prof-dir=…"]. */
  execArgv?: string[]
  /**
   * What runs the child instead of this node binary: a tool that takes node's
   * command line after its own flags (valgrind: execArgv then holds the tool's
   * flags, this node binary and node's flags).
   */
  execPath?: string
  env?: NodeJS.ProcessEnv
}

async function reply<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
): Promise<ChildMessage & { type: T }> {
  for (;;) {
    const [message] = (await once(child, 'message')) as [ChildMessage]
    if (message.type === type) return message as ChildMessage & { type: T }
  }
}

let entry: Promise<string> | undefined

/** The child's bundle, built on first use into .tmp/bench-build/<pid>/ and removed when this process exits. */
function childEntry(): Promise<string> {
  entry ??= (async () => {
    const dir = resolve(TMP, 'bench-build', String(process.pid))
    const outfile = resolve(dir, 'server-child.mjs')
    await build({
      entryPoints: [new URL('./server-child.ts', import.meta.url).pathname],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      logLevel: 'warning',
    })
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
    return outfile
  })()
  return entry
}

export async function startServer(spec: ServerSpec, options: StartOptions = {}): Promise<ServerHandle> {
  const child = fork(await childEntry(), [JSON.stringify(spec)], {
    execArgv: options.execArgv ?? [],
    ...(options.execPath === undefined ? {} : { execPath: options.execPath }),
    // The bundle lives elsewhere: tell it which build to load.
    env: { ...(options.env ?? process.env), HOOKGUARD_DIST: options.env?.HOOKGUARD_DIST ?? DIST },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  applyNice(child.pid)
  const failed = once(child, 'exit').then(([code]) => {
    throw new Error(`bench server ${spec.server} exited early (code ${String(code)})`)
  })
  const { port } = await Promise.race([reply(child, 'ready'), failed])
  failed.catch(() => {})
  return {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    async mark() {
      child.send({ type: 'mark' } satisfies ParentMessage)
      await reply(child, 'marked')
    },
    async report() {
      child.send({ type: 'report' } satisfies ParentMessage)
      return (await reply(child, 'report')).usage
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.send({ type: 'stop' } satisfies ParentMessage)
      await exited
    },
  }
}
