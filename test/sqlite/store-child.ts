/**
 * Child process for the SQLite store races, run with `node --import tsx`.
 *
 *   advance <db> <seed>      at the parent's start time (IPC), advance entities race:a..c through
 *                            versions shuffled by <seed>; print every call as JSON (AdvanceCall,
 *                            start/end in µs of the system-wide monotonic clock)
 *   reserve <db> <n> <asc|desc>  at the start time, reserve keys race:0..n-1 in that order; print the
 *                            keys won as JSON (any answer other than reserved/in_flight fails)
 */
import { sqliteStore } from '../../src/sqlite.js'
import { shuffled, type AdvanceCall } from '../../src/conformance/store-history.js'

const [mode, db, ...args] = process.argv.slice(2)
if (!mode || !db) throw new Error('usage: store-child.ts <mode> <db> ...')

const ENTITIES = ['race:a', 'race:b', 'race:c']
const VERSIONS = Array.from({ length: 100 }, (_, k) => 1_726_000_000_000 + k / 4)

const micros = (): number => Number(process.hrtime.bigint() / 1000n)

/** Says 'ready', then waits for the parent's start time (µs, monotonic clock), so both children start together. */
function ready(): Promise<void> {
  return new Promise((resolve) => {
    process.once('message', (startAt: number) => {
      process.disconnect?.()
      const spin = () => (micros() >= startAt ? resolve() : setImmediate(spin))
      spin()
    })
    process.send!('ready')
  })
}

async function main(): Promise<void> {
  const store = sqliteStore({ path: db!, busyTimeoutMs: 5000 })
  await ready()
  const out: unknown[] = []
  if (mode === 'advance') {
    const work = shuffled(
      ENTITIES.flatMap((entity) => VERSIONS.map((version) => ({ entity, version }))),
      Number(args[0]),
    )
    for (const { entity, version } of work) {
      const start = micros()
      const ok = await store.advance(entity, version, 60_000)
      out.push({ entity, version, ok, start, end: micros() } satisfies AdvanceCall)
    }
  } else if (mode === 'reserve') {
    const keys = Array.from({ length: Number(args[0]) }, (_, i) => `race:${i}`)
    if (args[1] === 'desc') keys.reverse()
    for (const key of keys) {
      const result = await store.reserve(key, 60_000)
      if (result.status === 'reserved') out.push(key)
      else if (result.status !== 'in_flight') throw new Error(`${key}: unexpected ${result.status}`)
    }
  } else throw new Error(`unknown mode ${mode}`)
  await store.close()
  process.stdout.write(JSON.stringify(out))
}

main().catch((error) => {
  console.error(error)
  process.exit(2)
})
