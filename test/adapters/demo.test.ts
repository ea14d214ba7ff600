import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { main } from '../../scripts/demo.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('npm run demo', () => {
  it('main() sends the scripted deliveries and reports statuses and what the worker did', async () => {
    const lines: string[] = []
    const { rows, before, after, resent } = await main({ print: (line) => lines.push(line) })
    expect(rows.map((r) => [r.status, r.outcome])).toEqual([
      [200, 'accepted'],
      [200, 'duplicate'],
      [401, 'unauthorized'],
      [401, 'unauthorized'],
      [413, 'body.too_large'],
      [200, 'accepted'],
      [200, 'accepted'],
      [200, 'accepted'],
    ])
    expect(rows[0]!.worker).toBe('handled (attempt 1)')
    expect(rows[1]!.worker).toBe('not run again')
    expect(rows[2]!.worker).toBe('never queued')
    expect(rows[5]!.worker).toMatch(/^failed attempt 1, retry in \d+ ms; handled \(attempt 2\)$/)
    expect(rows[6]!.worker).toMatch(/failed attempt 3, dead-lettered$/)
    expect(rows[7]!.worker).toBe('handled (attempt 1)')
    expect(
      lines.some((l) => /^1 +Stripe evt_1001, correctly signed +200 accepted +handled \(attempt 1\)$/.test(l)),
    ).toBe(true)
    // The archive saw every request: 8 sent, 3 rejected by code, the worker's end states.
    expect(before.total).toBe(8)
    expect(before.byOutcome).toMatchObject({ accepted: 4, duplicate: 1, rejected: 3 })
    expect(before.byCode).toMatchObject({ 'signature.invalid': 1, 'timestamp.out_of_range': 1, 'body.too_large': 1 })
    expect(before.byState).toMatchObject({ handled: 3, dead: 1 })
    // After the fix, the provider's re-send of the dead-lettered event is accepted and handled once.
    expect(resent).toEqual({ status: 200, outcome: 'accepted' })
    expect(after.byState).toMatchObject({ handled: 4, dead: 1 })
    expect(lines.some((l) => /resends evt_broken: 200 accepted → handled \(attempt 1\)/.test(l))).toBe(true)
  })

  it('runs as a script, needs no services and exits 0 by itself', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 15_000,
    })
    expect(run.status, run.stderr).toBe(0)
    for (const status of ['200 accepted', '200 duplicate', '401 unauthorized', '413 body.too_large'])
      expect(run.stdout).toContain(status)
    expect(run.stdout).toMatch(/archive: received 8: accepted 4, duplicate 1, rejected 3/)
    expect(run.stdout).toMatch(/resends evt_broken: 200 accepted/)
  })
})
