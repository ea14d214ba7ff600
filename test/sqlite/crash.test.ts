/**
 * Crash tests with real processes sharing one SQLite file: SIGKILL a worker
 * mid-job, SIGKILL right after enqueue resolved, two processes racing to
 * enqueue the same keys, SIGKILL between reserve and enqueue.
 */
import Database from 'better-sqlite3'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { sqliteQueue, sqliteStore } from '../../src/sqlite.js'
import { sampleEvent, tempDir, waitFor } from './helpers.js'

const tmp = tempDir('crash')
afterAll(() => tmp.cleanup())
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url))

interface Exited {
  code: number | null
  signal: NodeJS.Signals | null
  stderr: string
  stdout: string
}

interface Run {
  child: ChildProcess
  exited: Promise<Exited>
}

function runChild(...args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let stderr = ''
  let stdout = ''
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)))
  child.stdout!.on('data', (chunk) => (stdout += String(chunk)))
  const exited = new Promise<Exited>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout })),
  )
  return { child, exited }
}

/** Starts two children and sends both 'go' once both are ready, so their work overlaps. */
async function race<T extends string[][]>(...args: T): Promise<{ [K in keyof T]: Exited }> {
  const runs = args.map((a) => runChild(...a))
  // A child that dies before it is ready fails the test with its stderr instead of hanging it.
  const early = (run: Run) =>
    run.exited.then(({ stderr, code }) =>
      Promise.reject(new Error(`child exited (${code}) before it was ready: ${stderr}`)),
    )
  await Promise.all(
    runs.map((run) => Promise.race([new Promise((resolve) => run.child.once('message', resolve)), early(run)])),
  )
  for (const { child } of runs) child.send('go')
  return (await Promise.all(runs.map((run) => run.exited))) as { [K in keyof T]: Exited }
}

function lines(log: string): string[][] {
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' '))
    : []
}

function jobRows(path: string, like: string): Array<{ key: string; state: string; attempt: number }> {
  const db = new Database(path, { readonly: true })
  try {
    return db
      .prepare('SELECT key, state, attempt FROM hookguard_jobs WHERE key LIKE ? ORDER BY key')
      .all(like) as Array<{ key: string; state: string; attempt: number }>
  } finally {
    db.close()
  }
}

describe('sqliteQueue under SIGKILL', () => {
  it('a job whose worker was killed mid-run is finished by a new process after the visibility timeout', async () => {
    const path = tmp.file('midjob')
    const log = `${path}.log`
    const queue = sqliteQueue({ path })
    await queue.enqueue(sampleEvent('crash:job-1', { payload: { order: 17 } }))
    await queue.close()

    const first = runChild('work', path, log, 'block')
    await waitFor(() => lines(log).some(([what]) => what === 'start'), 30_000, 'the first worker to start the job')
    first.child.kill('SIGKILL')
    expect((await first.exited).signal).toBe('SIGKILL')
    expect(jobRows(path, 'crash:%')).toEqual([{ key: 'crash:job-1', state: 'running', attempt: 1 }])

    // Enqueued while no worker is alive: the restarted worker must take it too.
    const again = sqliteQueue({ path })
    await again.enqueue(sampleEvent('crash:job-2', { payload: { order: 18 } }))
    await again.close()

    const [{ code, stderr }] = await race(['work', path, log, 'finish'])
    expect(stderr).toBe('')
    expect(code).toBe(0)

    const entries = lines(log)
    const done = entries.filter(([what]) => what === 'done')
    expect(done.map(([, key, attempt, , payload]) => [key, attempt, payload]).sort()).toEqual([
      ['crash:job-1', '2', '{"order":17}'],
      ['crash:job-2', '1', '{"order":18}'],
    ])
    const pids = new Set(entries.filter(([, key]) => key === 'crash:job-1').map(([, , , pid]) => pid))
    expect(pids.size).toBe(2) // started by the killed process, finished by the new one
    expect(jobRows(path, 'crash:%')).toEqual([
      { key: 'crash:job-1', state: 'done', attempt: 2 },
      { key: 'crash:job-2', state: 'done', attempt: 1 },
    ])
  }, 60_000)

  it('every event whose enqueue resolved is in the file after the process is killed right away', async () => {
    const path = tmp.file('enqueue-kill')
    const { signal, stderr } = await runChild('enqueue-kill', path, 'kept', '25').exited
    expect(stderr).toBe('')
    expect(signal).toBe('SIGKILL')
    const rows = jobRows(path, 'kept:%')
    expect(rows).toHaveLength(25)
    expect(rows.every((row) => row.state === 'pending')).toBe(true)

    // And a restarted worker runs them all.
    const seen: string[] = []
    const queue = sqliteQueue({ path, pollIntervalMs: 50 })
    queue.process((event) => void seen.push(event.key))
    await waitFor(() => seen.length === 25, 8000, 'the restarted worker')
    await queue.close()
    expect(new Set(seen).size).toBe(25)
  }, 60_000)

  it('a crash between a pass of handler completions and its commit re-runs exactly those handlers', async () => {
    const path = tmp.file('settle-kill')
    const log = `${path}.log`
    const queue = sqliteQueue({ path })
    await Promise.all(Array.from({ length: 12 }, (_, i) => queue.enqueue(sampleEvent(`settle:${i}`))))
    await queue.close()

    // Killed just before the commit of the second pass that carries outcomes.
    const { signal, stderr } = await runChild('settle-kill', path, log, '2').exited
    expect(stderr).toBe('')
    expect(signal).toBe('SIGKILL')
    const batch = lines(log)
      .find(([what]) => what === 'batch')!
      .slice(1)
    const before = lines(log).filter(([what]) => what === 'done')
    expect(batch).toHaveLength(4)
    expect(before).toHaveLength(8) // the first pass's four (committed) and the batch's four (not)

    const [{ code, stderr: err }] = await race(['work', path, log, 'finish'])
    expect(err).toBe('')
    expect(code).toBe(0)
    const runs = new Map<string, string[]>()
    for (const [what, key, attempt] of lines(log))
      if (what === 'done') runs.set(key!, [...(runs.get(key!) ?? []), attempt!])
    const again = [...runs].filter(([, attempts]) => attempts.length > 1).map(([key]) => key)
    expect(again.sort()).toEqual([...batch].sort())
    for (const key of batch) expect(runs.get(key)).toEqual(['1', '2']) // the same handler, run again as attempt 2
    expect(runs.size).toBe(12)
    const rows = jobRows(path, 'settle:%')
    expect(rows.every((row) => row.state === 'done')).toBe(true)
    expect(
      rows
        .filter((row) => row.attempt === 2)
        .map((row) => row.key)
        .sort(),
    ).toEqual([...batch].sort())
  }, 60_000)

  it('every delivery whose atomic intake resolved has its job and its completed key after a SIGKILL', async () => {
    const path = tmp.file('intake-kill')
    const { signal, stderr } = await runChild('intake-kill', path, 'taken', '25').exited
    expect(stderr).toBe('')
    expect(signal).toBe('SIGKILL')
    const rows = jobRows(path, 'taken:%')
    expect(rows).toHaveLength(25)
    expect(rows.every((row) => row.state === 'pending')).toBe(true)
    const db = new Database(path, { readonly: true })
    try {
      expect(
        db.prepare("SELECT COUNT(*) FROM hookguard_dedupe WHERE key LIKE 'taken:%' AND state = 'done'").pluck().get(),
      ).toBe(25)
    } finally {
      db.close()
    }
  }, 60_000)

  it('two worker processes on one file run each job exactly once', async () => {
    const path = tmp.file('two-workers')
    const log = `${path}.log`
    const queue = sqliteQueue({ path })
    await Promise.all(Array.from({ length: 60 }, (_, i) => queue.enqueue(sampleEvent(`shared:${i}`))))
    await queue.close()
    const [a, b] = await race(['work', path, log, 'finish'], ['work', path, log, 'finish'])
    expect(a.stderr + b.stderr).toBe('')
    expect([a.code, b.code]).toEqual([0, 0])
    const entries = lines(log)
    for (const what of ['start', 'done']) {
      const keys = entries.filter(([w]) => w === what).map(([, key]) => key!)
      expect(keys).toHaveLength(60)
      expect(new Set(keys).size).toBe(60)
    }
    expect(jobRows(path, 'shared:%').every((row) => row.state === 'done' && row.attempt === 1)).toBe(true)
  }, 60_000)

  it('two processes enqueueing the same keys at once leave one row per key', async () => {
    const path = tmp.file('race')
    await sqliteQueue({ path }).close() // create the file first, as a deployed app would have
    const [a, b] = await race(['enqueue-race', path, '120', 'asc'], ['enqueue-race', path, '120', 'desc'])
    expect(a.stderr + b.stderr).toBe('')
    expect([a.code, b.code]).toEqual([0, 0])
    const db = new Database(path, { readonly: true })
    try {
      expect(
        db
          .prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT key) AS keys FROM hookguard_jobs WHERE key LIKE 'race:%'")
          .get(),
      ).toEqual({ n: 120, keys: 120 })
    } finally {
      db.close()
    }
  }, 60_000)
})

describe('sqliteStore across processes', () => {
  it('two processes reserving the same keys at once: each key is won by exactly one', async () => {
    const path = tmp.file('reserve-race')
    await sqliteStore({ path }).close() // create the file first, as a deployed app would have
    const [a, b] = await race(['reserve-race', path, '400', 'asc'], ['reserve-race', path, '400', 'desc'])
    expect(a.stderr + b.stderr).toBe('')
    expect([a.code, b.code]).toEqual([0, 0])
    const wonA = JSON.parse(a.stdout) as string[]
    const wonB = JSON.parse(b.stdout) as string[]
    expect(wonA.filter((key) => wonB.includes(key))).toEqual([])
    expect(new Set([...wonA, ...wonB]).size).toBe(400)
  }, 60_000)

  it('a reservation held by a killed process blocks until its lease ends, then the retry goes through', async () => {
    const path = tmp.file('reserve-kill')
    const { signal, stderr } = await runChild('reserve-kill', path, 'stripe:default:evt_killed', '20000').exited
    expect(stderr).toBe('')
    expect(signal).toBe('SIGKILL')
    // The lease is 20 s of real time; the store's clock skips ahead instead of the test sleeping.
    let skew = 0
    const store = sqliteStore({ path, now: () => Date.now() + skew })
    try {
      expect((await store.reserve('stripe:default:evt_killed', 30_000)).status).toBe('in_flight')
      skew = 20_001
      expect((await store.reserve('stripe:default:evt_killed', 30_000)).status).toBe('reserved')
    } finally {
      await store.close()
    }
  }, 60_000)
})
