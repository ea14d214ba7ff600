/**
 * The inspector in a real headless Chromium, served by the built
 * `hookguard inspect` over a SQLite archive: list → filter → detail →
 * Replay, with hostile payloads that must render as text (no dialog, no
 * `window.__pwned`, no script but the page's own), and a cross-origin form
 * that must not replay even with a valid token. Screenshots are kept under
 * .tmp/inspector-e2e/; with HOOKGUARD_DOCS_SCREENSHOT=1 the list view also
 * goes to docs-drafts/inspector.png (off by default, so a test run leaves
 * the tree clean).
 *
 * Needs Chromium at /usr/bin/chromium (`apt-get install -y chromium`;
 * .ci/run installs it when missing). Without it the suite is skipped with
 * a visible message.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sqliteArchive, sqliteQueue } from '../../src/sqlite.js'
import { builtBin, ROOT, run, start } from '../cli/support/built.js'
import { HOSTILE, hostileArchive, SECRET, type HostileArchive } from './support/hostile.js'
import { ordinaryTraffic } from './support/traffic.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTEFACTS = join(ROOT, '.tmp/inspector-e2e')
const DOCS_SHOT = join(ROOT, 'docs-drafts/inspector.png')
const available = existsSync(CHROMIUM)
if (!available)
  console.warn(`[hookguard tests] skipping the inspector browser tests: no ${CHROMIUM} (apt-get install -y chromium)`)
const describeWithChromium = available ? describe : describe.skip

describeWithChromium('inspector in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hookguard-inspector-e2e-'))
  const path = join(dir, 'hooks.db')
  let hostile: HostileArchive
  let server: ReturnType<typeof start>
  let url: string
  let origin: string
  let browser: Browser
  let page: Page
  const dialogs: string[] = []
  const errors: string[] = []

  beforeAll(async () => {
    mkdirSync(ARTEFACTS, { recursive: true })
    const archive = sqliteArchive({ path, rejectedBodies: true, maxBodyBytes: 2 * 1024 * 1024 })
    await sqliteQueue({ path, logger: false }).close()
    hostile = await hostileArchive(archive, Date.now() - 3 * 3_600_000)
    await hostile.receiver.close()
    await ordinaryTraffic(archive)
    await archive.close()
    await builtBin()
    server = start(
      [
        'inspect',
        '--sqlite',
        path,
        '--port',
        '0',
        '--allow-replay',
        '--provider',
        'stripe',
        '--secret',
        'env:HG_STRIPE',
        '--json',
      ],
      {
        env: { HG_STRIPE: SECRET },
      },
    )
    url = JSON.parse((await server.waitFor(/^\{.*\}\n/))[0]).url
    origin = new URL(url).origin
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu'],
    })
    page = await (await browser.newContext({ viewport: { width: 1360, height: 1000 } })).newPage()
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    page.on('pageerror', (error) => errors.push(error.message))
  }, 300_000)

  afterAll(async () => {
    await browser?.close()
    if (server) {
      server.child.kill('SIGINT')
      expect(await server.exited).toBe(0)
    }
    rmSync(dir, { recursive: true, force: true })
  })

  async function expectUnharmed(): Promise<void> {
    expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned)).toBeUndefined()
    expect(dialogs).toEqual([])
    expect(errors).toEqual([])
  }

  it('opens the list with the access key, draws the charts, and runs only its own script', async () => {
    await page.goto(url)
    expect(new URL(page.url()).search).toBe('')
    await expect.poll(() => page.locator('tbody tr.row').count()).toBeGreaterThan(20)
    expect(await page.locator('.chart > svg rect').count()).toBeGreaterThan(20)
    // app.js ran (local times, the live switch): the nonce'd script works under the CSP.
    expect(await page.locator('#hg-live').isVisible()).toBe(true)
    expect(await page.locator('time[title]').count()).toBeGreaterThan(0)
    await page.screenshot({ path: join(ARTEFACTS, 'list.png'), fullPage: false })
    if (process.env.HOOKGUARD_DOCS_SCREENSHOT === '1') await page.screenshot({ path: DOCS_SHOT, fullPage: false })
    await expectUnharmed()
  })

  it('refuses a browser that has no access key', async () => {
    const other = await browser.newPage()
    const response = await other.goto(origin)
    expect(response!.status()).toBe(401)
    await other.close()
  })

  it('filters to the hostile delivery; its fields render as text', async () => {
    await page.fill('input[name="type"]', HOSTILE.type)
    await Promise.all([page.waitForURL(/type=/), page.click('button[type="submit"]')])
    const rows = page.locator('tbody tr.row')
    // The forged one never got a type (it was not parsed); the accepted one did.
    expect(await rows.count()).toBe(1)
    expect(await rows.first().locator('td').nth(5).textContent()).toBe(HOSTILE.type)
    await page.screenshot({ path: join(ARTEFACTS, 'filtered.png') })
    await expectUnharmed()
  })

  it('opens the detail view: payload, headers and bidi tricks stay inert text', async () => {
    await Promise.all([page.waitForURL(/\?id=/), page.click(`a[href="?id=${hostile.ids.hostile}"] >> nth=0`)])
    expect(await page.locator('h2.mono').textContent()).toBe(hostile.ids.hostile)
    const body = await page.locator('#hg-body').textContent()
    expect(body).toContain(HOSTILE.note)
    expect(body).toContain(HOSTILE.attr)
    expect(body).toContain('invoice[U+202E]gpj.exe')
    expect(body).toContain('line[U+2028]para[U+2029]end')
    expect(await page.getByRole('cell', { name: HOSTILE.link, exact: true }).count()).toBe(1)
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0)
    expect(await page.locator('img, iframe, object, embed').count()).toBe(0)
    expect(
      await page
        .locator('script')
        .evaluateAll((scripts) => scripts.map((s) => s.getAttribute('src') ?? s.getAttribute('type'))),
    ).toEqual(['application/json', '?asset=app.js'])
    // Hovering the text that tried to become an attribute does nothing.
    await page.hover('#hg-body')
    await page.screenshot({ path: join(ARTEFACTS, 'detail-hostile.png'), fullPage: true })
    await expectUnharmed()
  })

  it('replays from the Replay button and lands on the new delivery', async () => {
    await page.goto(`${origin}/?id=${hostile.ids.plain}`)
    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('#hg-replay'),
    ])
    expect(posted.status(), await posted.text().catch(() => '')).toBe(303)
    await page.waitForURL((target) => !target.search.includes(hostile.ids.plain))
    const newId = new URL(page.url()).searchParams.get('id')!
    expect(newId).not.toBe(hostile.ids.plain)
    expect(await page.locator('dl.facts').textContent()).toContain(`Replay of${hostile.ids.plain}`)
    await page.screenshot({ path: join(ARTEFACTS, 'replayed.png') })
    const shown = await run(['show', newId, '--sqlite', path, '--json'])
    expect(JSON.parse(shown.stdout)).toMatchObject({
      replayOf: hostile.ids.plain,
      verified: true,
      eventId: 'evt_plain',
    })
    await expectUnharmed()
  })

  it('does not replay from a form on another origin, even with a valid token', async () => {
    await page.goto(`${origin}/?id=${hostile.ids.plain}`)
    const token = await page.locator('input[name="token"]').getAttribute('value')
    const attacker: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end(
        `<form id="f" method="post" action="${origin}/?id=${hostile.ids.plain}&action=replay">` +
          `<input name="token" value="${token}"></form><script>document.getElementById('f').submit()</script>`,
      )
    })
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
    const before = JSON.parse((await run(['list', '--sqlite', path, '--event-id', 'evt_plain', '--json'])).stdout).items
      .length
    try {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.goto(`http://127.0.0.1:${(attacker.address() as { port: number }).port}/`),
      ])
      expect(response.status()).toBe(403)
      expect(await response.text()).toBe('Cross-origin request refused.\n')
    } finally {
      await new Promise((resolve) => attacker.close(resolve))
    }
    const after = JSON.parse((await run(['list', '--sqlite', path, '--event-id', 'evt_plain', '--json'])).stdout).items
      .length
    expect(after).toBe(before)
  })

  it('shows the huge body cut for display and the binary one as hex', async () => {
    await page.goto(`${origin}/?id=${hostile.ids.huge}`)
    expect(await page.locator('p.muted', { hasText: 'the first 262144 bytes shown' }).count()).toBe(1)
    await page.goto(`${origin}/?id=${hostile.ids.binary}`)
    expect(await page.locator('pre.body').textContent()).toContain('3c 73 63 72 69 70 74 3e ff 00 1b fe')
    await expectUnharmed()
  })
})
