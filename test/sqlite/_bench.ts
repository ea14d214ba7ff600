import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteQueue } from '../../src/sqlite.js'
import { sampleEvent } from './helpers.js'
const dir = mkdtempSync(join(tmpdir(), 'hgb-'))
for (const synchronous of ['full', 'normal'] as const) {
  for (const mode of ['sequential', 'concurrent-50']) {
    const q = sqliteQueue({ path: join(dir, `${synchronous}-${mode}.db`), synchronous })
    const n = 2000
    const t = performance.now()
    if (mode === 'sequential') for (let i = 0; i < n; i++) await q.enqueue(sampleEvent(`b:${i}`))
    else for (let i = 0; i < n; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => q.enqueue(sampleEvent(`b:${i + j}`))))
    const ms = performance.now() - t
    console.log(synchronous, mode, Math.round(n / (ms / 1000)), 'enqueues/s', q.stats().commits, 'commits')
    await q.close()
  }
}
rmSync(dir, { recursive: true, force: true })
