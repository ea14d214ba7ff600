/**
 * The archive commands against a real SQLite file filled by a real
 * receiver and worker: stats, list (filters, paging), show (redacted
 * headers, text or hex bodies, escaped control characters, never the
 * sealed signature headers), tail, replay and dead letters — run as the
 * built bin.
 */
/* eslint-disable no-control-regex -- the output must be free of control characters */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReceiver, stripe, type WebhookEvent } from '../../src/index.js'
import { sqliteArchive, sqliteQueue } from '../../src/sqlite.js'
import { signRequest } from '../../src/testing.js'
import { builtBin, run, start } from './support/built.js'
import { HOSTILE_TYPE, populate, SECRET, type Populated } from './support/populate.js'

const dir = mkdtempSync(join(tmpdir(), 'hookguard-cli-sqlite-'))
const path = join(dir, 'hooks.db')
const ENV = { HG_STRIPE: SECRET, HG_WRONG: 'whsec_cli_not_the_secret_0123456789' }
let data: Populated

function cli(...args: string[]) {
  return run([...args, '--sqlite', path], { env: ENV })
}

beforeAll(async () => {
  const [, populated] = await Promise.all([
    builtBin(),
    (async () => {
      const archive = sqliteArchive({ path, rejectedBodies: true })
      const queue = sqliteQueue({ path, attempts: 2, backoffMs: 1, maxBackoffMs: 2, pollIntervalMs: 10, logger: false })
      try {
        return await populate(archive, queue)
      } finally {
        await archive.close()
      }
    })(),
  ])
  data = populated
}, 300_000)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

function expectNoSignatures(text: string): void {
  for (const signature of data.signatures) expect(text).not.toContain(signature.split('v1=')[1])
}

describe('hookguard stats', () => {
  it('counts by outcome, code, provider, type and worker state', async () => {
    const result = await cli('stats', '--json')
    expect(result.code).toBe(0)
    const stats = JSON.parse(result.stdout)
    expect(stats).toMatchObject({
      total: 8,
      byOutcome: { accepted: 5, duplicate: 1, rejected: 2 },
      byCode: { 'signature.invalid': 1, 'method.not_allowed': 1 },
      byProvider: { stripe: 8 },
      byState: { handled: 3, dead: 2 },
    })
    const text = await cli('stats')
    expect(text.stdout).toMatch(/^total {6}8$/m)
    expect(text.stdout).toMatch(/^by outcome\n {2}accepted +5\n {2}rejected +2\n {2}duplicate +1$/m)
    // The hostile type is listed with its escape characters written out.
    expect(text.stdout).toContain('\\x1b]0;pwned\\x07\\u202eevil.type')
    expect(text.stdout).not.toMatch(/[\u001b\u0007\u202e]/)
  })

  it('counts only the range given', async () => {
    const result = await cli('stats', '--since', String(data.end - 2500), '--json')
    expect(JSON.parse(result.stdout)).toMatchObject({ total: 3, byOutcome: { accepted: 3 } })
    const none = await cli('stats', '--until', '2001-01-01T00:00:00Z', '--json')
    expect(JSON.parse(none.stdout).total).toBe(0)
  })
})

describe('hookguard list', () => {
  it('lists every delivery newest first, with their outcome and worker state', async () => {
    const result = await cli('list', '--json')
    expect(result.code).toBe(0)
    const { items, cursor } = JSON.parse(result.stdout)
    expect(cursor).toBeUndefined()
    expect(items.map((item: { deliveryId: string }) => item.deliveryId)).toEqual(
      ['hostile', 'fail2', 'fail1', 'get', 'forged', 'dup', 'b', 'a'].map((name) => data.ids[name]),
    )
    expect(items[1]).toMatchObject({
      outcome: 'accepted',
      eventId: 'evt_fail2',
      state: 'dead',
      attempts: 2,
      lastError: 'Error: card declined',
    })
    expect(items[6]).toMatchObject({ outcome: 'accepted', eventId: 'evt_b', state: 'handled', type: 'invoice.paid' })
    for (const item of items) {
      expect(item).not.toHaveProperty('sealedHeaders')
      expect(item).not.toHaveProperty('body')
    }
    expectNoSignatures(result.stdout)
  })

  it.each([
    [
      ['--outcome', 'rejected'],
      ['get', 'forged'],
    ],
    [['--code', 'method.not_allowed'], ['get']],
    [['--type', 'invoice.paid'], ['b']],
    [
      ['--event-id', 'evt_a'],
      ['dup', 'a'],
    ],
    [['--provider', 'github'], []],
    [
      ['--outcome', 'accepted', '--type', 'invoice.payment_failed'],
      ['fail2', 'fail1'],
    ],
  ])('filters with %j', async (filters, names) => {
    const result = await cli('list', ...filters, '--json')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).items.map((item: { deliveryId: string }) => item.deliveryId)).toEqual(
      names.map((n) => data.ids[n]),
    )
  })

  it('pages with --limit and --cursor until the last page', async () => {
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const result = await cli('list', '--limit', '3', '--json', ...(cursor ? ['--cursor', cursor] : []))
      const page = JSON.parse(result.stdout)
      seen.push(...page.items.map((item: { deliveryId: string }) => item.deliveryId))
      cursor = page.cursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual(['hostile', 'fail2', 'fail1', 'get', 'forged', 'dup', 'b', 'a'].map((name) => data.ids[name]))
  })

  it('prints a table whose payload text is escaped, and the next page', async () => {
    const result = await cli('list', '--limit', '2')
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^RECEIVED\s+DELIVERY\s+PROVIDER\s+STATUS\s+OUTCOME\s+CODE\s+TYPE\s+EVENT\s+STATE$/)
    expect(lines[1]).toContain(data.ids.hostile)
    expect(lines[1]).toContain('\\x1b]0;pwned\\x07\\u202eevil.type')
    expect(lines[2]).toMatch(/accepted\s+-\s+invoice\.payment_failed\s+evt_fail2\s+dead\/2$/)
    expect(lines[3]).toMatch(/^more: --cursor [A-Za-z0-9_-]+$/)
    expect(result.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/)
    expect((await cli('list', '--provider', 'github')).stdout).toBe('no deliveries match\n')
  })
})

describe('hookguard show', () => {
  it('shows one delivery with its signature header redacted and its body as text', async () => {
    const result = await cli('show', data.ids.a!)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^delivery   ${data.ids.a}\\n`))
    expect(result.stdout).toMatch(/^status {5}200 accepted$/m)
    expect(result.stdout).toMatch(/^event {6}evt_a \(payment_intent\.succeeded\)$/m)
    expect(result.stdout).toMatch(/^state {6}handled, 1 attempt\(s\)/m)
    expect(result.stdout).toContain('  stripe-signature: [redacted]\n')
    expect(result.stdout).toMatch(/^body \(\d+ bytes; utf-8\)\n\{"id":"evt_a","object":"event"/m)
    expectNoSignatures(result.stdout)
  })

  it('gives JSON without the sealed signature headers, body as text', async () => {
    const result = await cli('show', data.ids.b!, '--json')
    const record = JSON.parse(result.stdout)
    expect(record).not.toHaveProperty('sealedHeaders')
    expect(record.headers['stripe-signature']).toBe('[redacted]')
    expect(record.bodyEncoding).toBe('utf8')
    expect(JSON.parse(record.body)).toMatchObject({ id: 'evt_b', type: 'invoice.paid' })
    expectNoSignatures(result.stdout)
  })

  it('shows a body that is not UTF-8 as a hex dump (JSON: base64), and the reason it was rejected', async () => {
    const text = await cli('show', data.ids.forged!)
    expect(text.stdout).toMatch(/^status {5}401 rejected \(signature\.invalid\)$/m)
    expect(text.stdout).toContain('body (8 bytes; binary, hex)\n00000000  ff fe 00 1b 5b 32 4a 41')
    expect(text.stdout).not.toContain('\u001b')
    const json = JSON.parse((await cli('show', data.ids.forged!, '--json')).stdout)
    expect(json).toMatchObject({
      bodyEncoding: 'base64',
      body: Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x41]).toString('base64'),
    })
  })

  it('escapes control and bidi characters from the payload', async () => {
    const result = await cli('show', data.ids.hostile!)
    expect(result.stdout).toMatch(/^event {6}evt_hostile \(\\x1b\]0;pwned\\x07\\u202eevil\.type\)$/m)
    expect(result.stdout).toContain('<script>alert(1)</script> \\u202e gnp.exe')
    expect(result.stdout).not.toMatch(/[\u001b\u0007\u202e]/)
    const json = await cli('show', data.ids.hostile!, '--json')
    expect(json.stdout).not.toMatch(/[\u001b\u0007\u202e]/)
    expect(JSON.parse(json.stdout).type).toBe(HOSTILE_TYPE)
  })

  it('writes the exact bytes with --raw', async () => {
    const result = await cli('show', data.ids.forged!, '--raw')
    expect(result.code).toBe(0)
    expect([...result.stdoutBytes]).toEqual([0xff, 0xfe, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0x41])
  })

  it('exits 1 for an unknown delivery', async () => {
    const result = await cli('show', '01JUNKNOWN0000000000000000')
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('hookguard show: no archived delivery "01JUNKNOWN0000000000000000"\n')
  })
})

describe('hookguard tail', () => {
  it('prints the last deliveries, then new ones as they are archived, until Ctrl-C', async () => {
    const tail = start(['tail', '--sqlite', path, '-n', '2', '--interval', '100', '--json'])
    await tail.waitFor(/evt_fail2.*\n.*evt_hostile.*\n/)
    const archive = sqliteArchive({ path })
    const provider = stripe({ secret: SECRET })
    const receiver = createReceiver({ provider, archive, logger: false })
    for (const id of ['evt_tail_1', 'evt_tail_2']) {
      const body = JSON.stringify({ id, object: 'event', type: 'customer.created', data: { object: {} } })
      const signed = await signRequest(provider, { body })
      expect((await receiver.handle({ method: 'POST', headers: signed.headers, body })).status).toBe(200)
    }
    await receiver.close()
    await archive.close()
    await tail.waitFor(/evt_tail_2/)
    tail.child.kill('SIGINT')
    expect(await tail.exited).toBe(0)
    const lines = tail
      .output()
      .stdout.trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines.map((line) => line.eventId)).toEqual(['evt_fail2', 'evt_hostile', 'evt_tail_1', 'evt_tail_2'])
    for (const line of lines) expect(line).not.toHaveProperty('sealedHeaders')
  })
})

describe('hookguard replay', () => {
  it('replays a delivery: a new record linked to it, handled by the worker under its own key', async () => {
    const result = await cli('replay', data.ids.a!, '--secret', 'env:HG_STRIPE')
    expect(result.code).toBe(0)
    const newId = result.stdout.trim()
    expect(newId).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/)
    expect(result.stderr).toContain(`replayed ${data.ids.a} as ${newId} (key stripe:default:evt_a#replay:${newId})`)
    const shown = JSON.parse((await cli('show', newId, '--json')).stdout)
    expect(shown).toMatchObject({ replayOf: data.ids.a, verified: true, eventId: 'evt_a', outcome: 'accepted' })
    // The application's worker (not the CLI) runs it.
    const handled: WebhookEvent[] = []
    const queue = sqliteQueue({ path, pollIntervalMs: 10, logger: false })
    queue.process((event) => void handled.push(event))
    const deadline = Date.now() + 10_000
    while (handled.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    await queue.close()
    expect(handled.map((event) => [event.key, event.meta?.replayOf])).toEqual([
      [`stripe:default:evt_a#replay:${newId}`, data.ids.a],
    ])
  })

  it('prints the result as JSON', async () => {
    const result = await cli('replay', data.ids.b!, '--secret', 'env:HG_STRIPE', '--json')
    expect(JSON.parse(result.stdout)).toMatchObject({ replayOf: data.ids.b, eventId: 'evt_b', verified: true })
  })

  it('refuses what no longer verifies (exit 1), and replays it unverified with --no-verify', async () => {
    const refused = await cli('replay', data.ids.b!, '--secret', 'env:HG_WRONG')
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(
      /^hookguard replay: delivery \w+ no longer verifies with the current secrets \(signature\.invalid\)\n$/,
    )
    const forced = await cli('replay', data.ids.b!, '--secret', 'env:HG_WRONG', '--no-verify', '--json')
    expect(forced.code).toBe(0)
    expect(JSON.parse(forced.stdout)).toMatchObject({ replayOf: data.ids.b, verified: false })
  })

  it.each([
    [
      'a delivery rejected for its signature',
      'forged',
      1,
      /rejected for its signature \(signature\.invalid\); it is not authentic/,
    ],
    ['an unknown delivery', 'nope', 1, /no archived delivery "nope"/],
  ])('exits 1 for %s', async (_title, name, code, message) => {
    const result = await cli('replay', data.ids[name] ?? name, '--secret', 'env:HG_STRIPE')
    expect(result.code).toBe(code)
    expect(result.stderr).toMatch(message)
  })

  it('exits 2 when the provider does not match the delivery', async () => {
    const result = await cli('replay', data.ids.a!, '--provider', 'github', '--secret', 'env:HG_STRIPE')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/came from stripe: give --provider stripe/)
  })
})

describe('hookguard dead', () => {
  it('lists the dead letters with the queue counts', async () => {
    const result = await cli('dead', 'list', '--json')
    expect(result.code).toBe(0)
    const { stats, items } = JSON.parse(result.stdout)
    expect(stats.dead).toBe(2)
    expect(items.map((item: { key: string }) => item.key).sort()).toEqual([
      'stripe:default:evt_fail1',
      'stripe:default:evt_fail2',
    ])
    expect(items[0]).toMatchObject({ attempts: 2, error: 'Error: card declined' })
    const text = await cli('dead', 'list')
    expect(text.stdout).toMatch(/^pending \d+, running 0, done \d+, dead 2$/m)
    expect(text.stdout).toMatch(
      /^stripe:default:evt_fail2\s+\S+Z\s+2\s+invoice\.payment_failed\s+Error: card declined$/m,
    )
  })

  it('retries one, discards one, and exits 1 for a key that is not dead', async () => {
    const retried = await cli('dead', 'retry', 'stripe:default:evt_fail1')
    expect(retried).toMatchObject({ code: 0, stdout: 'retried stripe:default:evt_fail1\n' })
    const again = await cli('dead', 'retry', 'stripe:default:evt_fail1')
    expect(again.code).toBe(1)
    expect(again.stderr).toBe('hookguard dead: "stripe:default:evt_fail1" is not a dead letter\n')
    const discarded = await cli('dead', 'discard', 'stripe:default:evt_fail2', '--json')
    expect(JSON.parse(discarded.stdout)).toEqual({ key: 'stripe:default:evt_fail2', discarded: true })
    expect(JSON.parse((await cli('dead', 'list', '--json')).stdout).items).toEqual([])
    expect(JSON.parse((await cli('dead', 'retry', '--all', '--json')).stdout)).toEqual({ retried: 0 })
  })

  it.each([
    [['dead'], /missing list, retry or discard/],
    [['dead', 'revive', 'k'], /unknown action "revive"/],
    [['dead', 'retry'], /dead retry needs KEY or --all/],
    [['dead', 'discard', '--all'], /--all is only for dead retry/],
    [['dead', 'list', 'k'], /dead list takes no KEY/],
  ])('exits 2 for %j', async (args, message) => {
    const result = await cli(...args)
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(message)
  })
})

describe('hookguard inspect', () => {
  it('serves the page on 127.0.0.1 behind its access key, read-only, loopback names only, until Ctrl-C', async () => {
    const server = start(['inspect', '--sqlite', path, '--port', '0', '--json'])
    const { url, port } = JSON.parse((await server.waitFor(/^\{.*\}\n/))[0])
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/\\?key=[A-Za-z0-9_-]{24}$`))
    const base = `http://127.0.0.1:${port}/`
    expect((await fetch(base)).status).toBe(401)
    expect((await fetch(`${base}?key=wrong`)).status).toBe(401)
    const entry = await fetch(url, { redirect: 'manual' })
    expect(entry.status).toBe(303)
    expect(entry.headers.get('location')).toBe('/')
    const cookie = entry.headers.get('set-cookie')!.split(';')[0]!
    expect(entry.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Path=\/$/)
    const page = await fetch(base, { headers: { cookie } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(data.ids.hostile)
    expect(html).toContain('read-only')
    expect(html).not.toContain('\u001b')
    const post = await fetch(`${base}?id=${data.ids.a}&action=replay`, {
      method: 'POST',
      headers: { cookie, origin: base.slice(0, -1) },
    })
    expect(post.status).toBe(405)
    // DNS rebinding: another name for this port is not served.
    const { request } = await import('node:http')
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/', headers: { host: `evil.example:${port}`, cookie } },
        (res) => {
          res.resume()
          resolve(res.statusCode!)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(rebound).toBe(421)
    server.child.kill('SIGINT')
    expect(await server.exited).toBe(0)
  })

  it('exits 2 for replay flags without --allow-replay', async () => {
    const result = await cli('inspect', '--port', '0', '--secret', 'env:HG_STRIPE')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/--secret is for --allow-replay/)
  })
})

describe('archive flags: exit 2 and one line', () => {
  it.each([
    [['list', '--sqlite', '/nonexistent/hooks.db'], /--sqlite \/nonexistent\/hooks\.db: no such file/],
    [['list'], /give the archive: --sqlite PATH or --postgres URL/],
    [['list', '--outcome', 'acepted', '--sqlite', path], /--outcome must be one of .* \(did you mean accepted\?\)/],
    [['list', '--since', 'yesterday', '--sqlite', path], /--since must be ms since the epoch, an ISO date/],
    [['list', '--limit', '5000', '--sqlite', path], /--limit must be from 1 to 1000/],
    [['list', '--cursor', 'forged', '--sqlite', path], /cursor is not one this archive returned/],
    [['show', '--sqlite', path], /missing DELIVERY_ID/],
    [['stats', '--sqlite', path, '--postgres', 'postgres://x'], /give --sqlite or --postgres, not both/],
  ])('%j', async (args, message) => {
    const result = await run(args)
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.stderr).toMatch(message)
  })

  it('exits 1 when the file has no archive table', async () => {
    const empty = join(dir, 'empty.db')
    sqliteQueue({ path: empty, logger: false }).close()
    const result = await run(['list', '--sqlite', empty])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/empty\.db has no archive table hookguard_archive/)
  })
})
