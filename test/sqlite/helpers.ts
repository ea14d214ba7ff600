/** Temp directories and small helpers shared by the SQLite tests. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { QueuedEvent } from '../../src/types/index.js'

/** A fresh temp directory for one test file, removed by the returned cleanup. */
export function tempDir(label: string): { dir: string; file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `hookguard-sqlite-${label}-`))
  let n = 0
  return {
    dir,
    file: (name) => join(dir, `${name}-${++n}.db`),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export function sampleEvent(key: string, extra: Partial<QueuedEvent> = {}): QueuedEvent {
  return {
    id: key.split(':').pop()!,
    key,
    provider: 'stripe',
    type: 'payment_intent.succeeded',
    timestamp: 1_700_000_000,
    receivedAt: 1_700_000_000_123,
    payload: { id: key, amount: 4200 },
    headers: { 'content-type': 'application/json' },
    ...extra,
  }
}

export async function waitFor(check: () => boolean | Promise<boolean>, ms = 8000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
