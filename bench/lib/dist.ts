/**
 * The built package, as users run it: benchmarks never time the TypeScript
 * sources through tsx (its wrappers would land on hookguard's side only).
 * `npm run bench:*` builds first. HOOKGUARD_DIST=/other/dist measures another
 * build (say, the last commit's) with the same harness.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const DIST = resolve(process.env.HOOKGUARD_DIST ?? fileURLToPath(new URL('../../dist/', import.meta.url)))

/** The public entries the benchmarks use; types come from the sources, code from the build. */
export interface Entries {
  index: typeof import('../../src/index.js')
  testing: typeof import('../../src/testing.js')
  node: typeof import('../../adapters/node.js')
  express: typeof import('../../adapters/express.js')
  koa: typeof import('../../adapters/koa.js')
  hono: typeof import('../../adapters/hono.js')
  fastify: typeof import('../../adapters/fastify.js')
  sqlite: typeof import('../../src/sqlite.js')
  redis: typeof import('../../src/redis.js')
  bullmq: typeof import('../../src/bullmq.js')
  postgres: typeof import('../../src/postgres.js')
}

/** One entry of the build, e.g. `await load('index')`. */
export async function load<K extends keyof Entries>(entry: K): Promise<Entries[K]> {
  const file = resolve(DIST, `${entry}.js`)
  if (!existsSync(file)) throw new Error(`bench: ${file} is missing; run \`npm run build\` (or set HOOKGUARD_DIST)`)
  return (await import(pathToFileURL(file).href)) as Entries[K]
}
