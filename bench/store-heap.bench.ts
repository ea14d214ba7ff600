/**
 * Heap per key of memoryStore, next to the floor of any in-process store: a
 * plain `Map<string, number>` of the same keys (the key strings plus one hash
 * table entry each), and the key strings alone.
 *
 * Each scenario runs in its own child process (a fresh heap), inserts
 * `BENCH_KEYS` keys (default 1 000 000) shaped like the receiver's
 * (`stripe:default:evt_` + 24 random characters, built by a template literal
 * from a flat id, as the receiver builds them from a parsed body), and reports
 * `heapUsed` after full GCs minus `heapUsed` before, per key. For memoryStore
 * 99 % of the keys are completed and 1 % stay reserved (each holding a token).
 *
 * Run: `npm run bench:store-heap`
 * (`node --expose-gc --import tsx bench/store-heap.bench.ts`). The store is
 * imported from the sources: heap per key does not depend on the build.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DEFAULT_RETENTION_MS } from '../src/internal/defaults.js'
import { hardStop, table } from './lib/report.js'

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000)
const RESERVED_EVERY = 100
const SCENARIOS = ['strings', 'strings-flat', 'map', 'map-flat', 'memoryStore'] as const
type Scenario = (typeof SCENARIOS)[number]

interface Result {
  scenario: Scenario
  keys: number
  bytesPerKey: number
  insertMs: number
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** The same key sequence in every process (xorshift32, fixed seed). */
function keyMaker(): () => string {
  let state = 0x9e3779b9
  const codes = new Array<number>(24)
  const provider = 'stripe'
  const name = 'default'
  return () => {
    for (let i = 0; i < 24; i++) {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      codes[i] = ALPHABET.charCodeAt((state >>> 0) % ALPHABET.length)
    }
    const id = `evt_${String.fromCharCode(...codes)}`
    return `${provider}:${name}:${id}`
  }
}

/** V8 heap plus ArrayBuffer memory (typed arrays keep their data outside the V8 heap). */
function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:store-heap does)')
  for (let i = 0; i < 3; i++) gc()
  const { heapUsed, arrayBuffers } = process.memoryUsage()
  return heapUsed + arrayBuffers
}

/** Reading a character makes V8 join a concatenated string into one block (see src/stores/memory.ts). */
function flat(text: string): string {
  text.charCodeAt(0)
  return text
}

/** Fills the structure for `scenario`; returns it so it stays reachable while the heap is measured. */
async function fill(scenario: Scenario, next: () => string): Promise<unknown> {
  const make = scenario.endsWith('-flat') ? () => flat(next()) : next
  if (scenario.startsWith('strings')) {
    // The array's 8 bytes per slot are counted with the strings.
    const strings: string[] = []
    for (let i = 0; i < KEYS; i++) strings.push(make())
    return strings
  }
  if (scenario.startsWith('map')) {
    const map = new Map<string, number>()
    const expiresAt = Date.now() + DEFAULT_RETENTION_MS
    for (let i = 0; i < KEYS; i++) map.set(make(), expiresAt + i)
    return map
  }
  const { memoryStore } = await import('../src/stores/memory.js')
  const store = memoryStore({ maxKeys: KEYS, logger: false })
  for (let i = 0; i < KEYS; i++) {
    const key = next()
    const reserved = await store.reserve(key, 30_000)
    if (reserved.status !== 'reserved') throw new Error(`bench: ${key} was ${reserved.status}`)
    if (i % RESERVED_EVERY !== 0) await store.complete(key, reserved.token, DEFAULT_RETENTION_MS)
  }
  if (store.stats().size !== KEYS) throw new Error(`bench: the store holds ${store.stats().size} keys`)
  return store
}

async function child(scenario: Scenario): Promise<void> {
  const next = keyMaker()
  const before = collect()
  const started = performance.now()
  const held = await fill(scenario, next)
  const insertMs = performance.now() - started
  const after = collect()
  const result: Result = { scenario, keys: KEYS, bytesPerKey: (after - before) / KEYS, insertMs }
  process.send!(result)
  // Keeps `held` reachable until after the measurement.
  if (held === undefined) process.exitCode = 1
}

function run(scenario: Scenario): Promise<Result> {
  return new Promise((resolve, reject) => {
    const worker = fork(fileURLToPath(import.meta.url), [scenario], {
      execArgv: [...process.execArgv, '--max-old-space-size=4096'],
    })
    let result: Result | undefined
    worker.once('message', (message) => void (result = message as Result))
    worker.once('error', reject)
    worker.once('exit', (code) =>
      result ? resolve(result) : reject(new Error(`${scenario}: child exited with ${String(code)}`)),
    )
  })
}

async function main(): Promise<void> {
  const scenario = process.argv[2] as Scenario | undefined
  if (scenario) return child(scenario)
  hardStop('store-heap bench', 300_000)
  console.log(`node ${process.version} (V8 ${process.versions.v8}), ${KEYS.toLocaleString('en')} keys\n`)
  const results: Result[] = []
  for (const name of SCENARIOS) results.push(await run(name))
  const floor = results.find((r) => r.scenario === 'map-flat')!.bytesPerKey
  const rows = results.map((r) => [
    r.scenario,
    r.bytesPerKey.toFixed(1),
    (r.bytesPerKey / floor).toFixed(2),
    (r.insertMs / 1000).toFixed(2),
  ])
  console.log(table(['structure', 'bytes/key', 'vs map-flat', 'fill s'], rows))
  console.log(
    [
      '',
      'bytes/key: V8 heap + ArrayBuffers after full GCs, minus the same before, divided by the number of keys.',
      'strings: the key strings alone, as concatenated (+8 B per array slot); -flat: joined into one block each.',
      'map: Map<string, number> of the same keys, value = an expiry time in ms (the floor of any in-process store).',
      'memoryStore: maxKeys = keys, 1 % of the keys reserved, the rest completed.',
    ].join('\n'),
  )
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
