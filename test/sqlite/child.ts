/**
 * Child process for the SQLite crash tests, run with `node --import tsx`.
 *
 *   work <db> <log> block|finish   run the worker; the handler appends to <log>;
 *                                  `block` never finishes a job; `finish` (after the parent's 'go')
 *                                  exits 0 once no job in the file is pending or running
 *   enqueue-kill <db> <prefix> <n> enqueue n events at once, then SIGKILL itself as soon as all resolved
 *   intake-kill <db> <prefix> <n>  the same through queue.atomicIntake(sqliteStore on the same file)
 *   settle-kill <db> <log> <pass>  run the worker (concurrency 4); the handler appends `done <key> <attempt> <pid>`;
 *                                  at the <pass>-th pass that commits outcomes, append `batch <keys…>` and SIGKILL
 *                                  itself before that commit
 *   enqueue-race <db> <n> <asc|desc> after the parent's 'go' (IPC), enqueue keys race:0..n-1 one by one in that order
 *   reserve-kill <db> <key> <lease> reserve key for lease ms, then SIGKILL itself
 *   reserve-race <db> <n> <asc|desc> after 'go', reserve keys race:0..n-1 in that order, print the ones it won as JSON
 */
import { appendFileSync } from 'node:fs'
import { TEST_HOOKS } from '../../src/queues/sqlite/index.js'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import { sampleEvent } from './helpers.js'

const [mode, db, ...args] = process.argv.slice(2)
if (!mode || !db) throw new Error('usage: child.ts <mode> <db> ...')

/** Tells the parent it is ready and waits for its 'go', so racing children start together. */
function ready(): Promise<void> {
  return new Promise((resolve) => {
    process.once('message', () => {
      process.disconnect?.()
      resolve()
    })
    process.send!('ready')
  })
}

function order(n: string, direction: string): number[] {
  const keys = Array.from({ length: Number(n) }, (_, i) => i)
  return direction === 'desc' ? keys.reverse() : keys
}

async function main(): Promise<void> {
  switch (mode) {
    case 'work': {
      const [log, behaviour] = args as [string, 'block' | 'finish']
      const queue = sqliteQueue({ path: db!, visibilityTimeoutMs: 1000, pollIntervalMs: 50 })
      queue.process(async (event) => {
        appendFileSync(log, `start ${event.key} ${event.attempt} ${process.pid}\n`)
        if (behaviour === 'block') await new Promise(() => {})
        // Real work takes a little while; the record of completion comes last.
        await new Promise((resolve) => setTimeout(resolve, 20))
        appendFileSync(log, `done ${event.key} ${event.attempt} ${process.pid} ${JSON.stringify(event.payload)}\n`)
      })
      let closing = false
      if (behaviour === 'finish') {
        // Exit once the whole file is drained, whichever process did the work.
        await ready()
        const check = setInterval(async () => {
          const { pending, running } = await queue.stats()
          if (pending > 0 || running > 0 || closing) return
          closing = true
          clearInterval(check)
          void queue.close().then(() => process.exit(0))
        }, 50)
      }
      return
    }
    case 'enqueue-kill': {
      const [prefix, n] = args as [string, string]
      const queue = sqliteQueue({ path: db! })
      await Promise.all(Array.from({ length: Number(n) }, (_, i) => queue.enqueue(sampleEvent(`${prefix}:${i}`))))
      process.kill(process.pid, 'SIGKILL')
      return
    }
    case 'intake-kill': {
      const [prefix, n] = args as [string, string]
      const store = sqliteStore({ path: db! })
      const intake = sqliteQueue({ path: db! }).atomicIntake(store)!
      const options = { leaseMs: 30_000, retentionMs: 3_600_000 }
      const results = await Promise.all(
        Array.from({ length: Number(n) }, (_, i) => intake(sampleEvent(`${prefix}:${i}`), options)),
      )
      if (results.some((result) => result.status !== 'accepted')) process.exit(3)
      process.kill(process.pid, 'SIGKILL')
      return
    }
    case 'settle-kill': {
      const [log, at] = args as [string, string]
      let passes = 0
      const beforePass = (keys: string[]): void => {
        if (++passes < Number(at)) return
        appendFileSync(log, `batch ${keys.join(' ')}\n`)
        process.kill(process.pid, 'SIGKILL')
      }
      const hooks = { [TEST_HOOKS]: { beforePass } }
      const queue = sqliteQueue({ path: db!, concurrency: 4, visibilityTimeoutMs: 1000, pollIntervalMs: 50, ...hooks })
      queue.process((event) => appendFileSync(log, `done ${event.key} ${event.attempt} ${process.pid}\n`))
      return
    }
    case 'enqueue-race': {
      const [n, direction] = args as [string, string]
      const queue = sqliteQueue({ path: db!, busyTimeoutMs: 5000 })
      await ready()
      for (const i of order(n, direction))
        await queue.enqueue(sampleEvent(`race:${i}`, { payload: { from: direction } }))
      await queue.close()
      return
    }
    case 'reserve-kill': {
      const [key, lease] = args as [string, string]
      const store = sqliteStore({ path: db! })
      const result = await store.reserve(key!, Number(lease))
      if (result.status !== 'reserved') process.exit(3)
      process.kill(process.pid, 'SIGKILL')
      return
    }
    case 'reserve-race': {
      const [n, direction] = args as [string, string]
      const store = sqliteStore({ path: db!, busyTimeoutMs: 5000 })
      await ready()
      const won: string[] = []
      for (const i of order(n, direction)) {
        const result = await store.reserve(`race:${i}`, 60_000)
        if (result.status === 'reserved') won.push(`race:${i}`)
        else if (result.status !== 'in_flight') throw new Error(`unexpected ${result.status}`)
      }
      await store.close()
      process.stdout.write(JSON.stringify(won))
      return
    }
    default:
      throw new Error(`unknown mode ${mode}`)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(2)
})
