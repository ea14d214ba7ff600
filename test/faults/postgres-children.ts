/**
 * Child processes of the PostgreSQL crash tests: receivers
 * (postgres-receiver-process.ts) and workers (postgres-worker-process.ts),
 * each bundled once per test file with esbuild and started as plain Node,
 * configured through HOOKGUARD_PG_CHILD. They print one JSON object per line:
 * `{"listening":port}`, `{"ready":true}`, `{"hung":key}`, `{"handling":key}`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { rmSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { IntakePoint } from '../../src/queues/postgres/index.js'

export interface PgChildConfig {
  url: string
  schema: string
  name: string
  /** The dedupe table (schema-qualified). */
  table: string
  /** Receivers: stop every atomic intake at this point, print `{"hung":key}`, never go on. */
  hang?: IntakePoint
  /** Workers: the table each handler run is recorded in. */
  runs?: string
}

export interface PgChild {
  readonly process: ChildProcess
  readonly port: number
  /** Keys that reached the receiver's `hang` point, or that a worker's handler froze on. */
  readonly hung: string[]
  kill(signal?: NodeJS.Signals): Promise<void>
}

const bundles = new Map<string, Promise<string>>()

function bundle(entry: 'postgres-receiver-process' | 'postgres-worker-process'): Promise<string> {
  let built = bundles.get(entry)
  if (!built) {
    built = (async () => {
      const { build } = await import('esbuild')
      const outfile = fileURLToPath(
        new URL(
          `../../node_modules/.cache/hookguard-faults/${entry}-${process.pid}-${Date.now()}.mjs`,
          import.meta.url,
        ),
      )
      await build({
        entryPoints: [fileURLToPath(new URL(`./${entry}.ts`, import.meta.url))],
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
    bundles.set(entry, built)
  }
  return built
}

/** Delete this file's bundles (afterAll). */
export async function removeBundles(): Promise<void> {
  const files = await Promise.all(bundles.values())
  bundles.clear()
  for (const file of files) rmSync(file, { force: true })
}

async function start(entry: Parameters<typeof bundle>[0], config: PgChildConfig): Promise<PgChild> {
  const child = spawn(process.execPath, [await bundle(entry)], {
    env: { ...process.env, HOOKGUARD_PG_CHILD: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const hung: string[] = []
  let up: ((port: number) => void) | undefined
  const started = new Promise<number>((resolve, reject) => {
    up = resolve
    child.once('exit', (code, signal) => reject(new Error(`${entry} exited early (${code ?? signal})`)))
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let message: { listening?: number; ready?: boolean; hung?: string }
    try {
      message = JSON.parse(line)
    } catch {
      return
    }
    if (message.listening) up?.(message.listening)
    if (message.ready) up?.(0)
    if (message.hung) hung.push(message.hung)
  })
  const port = await started
  return {
    process: child,
    port,
    hung,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill(signal)
      await exited
    },
  }
}

/** A receiver process: postgresStore + postgresQueue (worker: false) on one Pool, node:http on loopback. */
export const startPgReceiver = (config: PgChildConfig) => start('postgres-receiver-process', config)
/** A worker process: createWorker over postgresQueue, recording each handler run in `config.runs`. */
export const startPgWorker = (config: PgChildConfig) => start('postgres-worker-process', config)
