/**
 * The inspector's Fetch handler: strict security headers, every payload
 * field escaped wherever it lands (text, attributes, the JSON data block),
 * large and binary bodies, filters and paging, and replay only when
 * allowed — behind authorize, a same-origin check and the page's token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryArchive, type MemoryArchive } from '../../src/index.js'
import { inspect, type InspectorOptions } from '../../src/inspector/index.js'
import { fixedClock } from '../../src/testing.js'
import { HOSTILE, hostileArchive, PWN, type HostileArchive } from './support/hostile.js'

const ORIGIN = 'http://inspect.test'
let archive: MemoryArchive
let data: HostileArchive

beforeAll(async () => {
  archive = memoryArchive({ rejectedBodies: true, maxBodyBytes: 2 * 1024 * 1024 })
  data = await hostileArchive(archive)
})

afterAll(() => data.receiver.close())

function get(handler: (request: Request) => Promise<Response>, query = '', headers: Record<string, string> = {}) {
  return handler(new Request(`${ORIGIN}/_hookguard${query}`, { headers }))
}

function nonceOf(response: Response): string {
  const csp = response.headers.get('content-security-policy')!
  return /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)![1]!
}

/** Every tag `<script …>` of the page. */
function scriptTags(page: string): string[] {
  return [...page.matchAll(/<script\b[^>]*>/gi)].map((match) => match[0])
}

function expectInert(page: string, nonce: string): void {
  // Only the page's own script elements: the external app.js under the nonce, and JSON data blocks.
  for (const tag of scriptTags(page))
    expect([
      `<script nonce="${nonce}" src="?asset=app.js">`,
      '<script type="application/json" id="hg-record">',
    ]).toContain(tag)
  expect(page).not.toContain(`${PWN}</script>`)
  expect(page).not.toMatch(/<img\b/i)
  // The only SVG is the page's own: charts and legend swatches.
  for (const [tag] of page.matchAll(/<svg\b[^>]*>/gi))
    expect(tag).toMatch(/^<svg (viewBox="0 0 720 150" role="img"|width="10" height="10" aria-hidden="true")/)
  // No event-handler attribute inside any tag (payload text like "onmouseover=" stays text).
  expect(page).not.toMatch(/<[a-z][^>]*\son[a-z]+\s*=/i)
  // Links only ever point at this page.
  for (const [, href] of page.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^\?/)
  expect(page).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u2028\u2029]/)
}

describe('read-only inspector', () => {
  const handler = () => inspect({ archive, logger: false })

  it('serves the list with strict security headers and no inline script', async () => {
    const response = await get(handler())
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const csp = response.headers.get('content-security-policy')!
    expect(csp).toMatch(
      /^default-src 'none'; script-src 'nonce-[A-Za-z0-9+/=]{24}'; style-src 'nonce-[A-Za-z0-9+/=]{24}'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'$/,
    )
    expect(csp).not.toContain('unsafe')
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('x-frame-options')).toBe('DENY')
    expect(response.headers.get('referrer-policy')).toBe('same-origin')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const page = await response.text()
    const nonce = nonceOf(response)
    expect(page).toContain(`<style nonce="${nonce}">`)
    expect(page).not.toMatch(/\sstyle="/)
    expectInert(page, nonce)
    expect(page).not.toContain('https://')
    expect(page).not.toMatch(/@import|url\(/)
  })

  it('gives every page a fresh nonce', async () => {
    const [a, b] = await Promise.all([get(handler()), get(handler())])
    expect(nonceOf(a)).not.toBe(nonceOf(b))
  })

  it('lists the hostile delivery with every field escaped', async () => {
    const response = await get(handler())
    const page = await response.text()
    expect(page).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;')
    expect(page).toContain(`evt_&quot;&gt;&lt;img src=x onerror=&quot;${PWN}&quot;&gt;`)
    expectInert(page, nonceOf(response))
  })

  it('shows the hostile delivery: escaped text, escaped JSON data block, visible bidi and separators', async () => {
    const response = await get(handler(), `?id=${data.ids.hostile}`)
    expect(response.status).toBe(200)
    const page = await response.text()
    expectInert(page, nonceOf(response))
    expect(page).toContain(`<td class="mono">${'javascript:window.__pwned=1'}</td>`)
    expect(page).toContain('&quot;&gt;&lt;svg onload=&quot;window.__pwned=1&quot;&gt;')
    expect(page).toContain('invoice[U+202E]gpj.exe')
    expect(page).toContain('line[U+2028]para[U+2029]end')
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;!--')
    expect(page).toContain('&#39; onmouseover=&#39;window.__pwned=1&#39; x=&#39;')
    const block = /<script type="application\/json" id="hg-record">([^<]*)<\/script>/.exec(page)![1]!
    expect(block).not.toMatch(/[<>&\u2028\u2029]/)
    const record = JSON.parse(block)
    expect(record).toMatchObject({ eventId: HOSTILE.id, type: HOSTILE.type, deliveryId: data.ids.hostile })
    expect(record).not.toHaveProperty('sealedHeaders')
    expect(record).not.toHaveProperty('body')
    // Redacted by the receiver, and again by the page.
    expect(page).not.toContain('sk_live_must_never_show')
    expect(page).toMatch(/<th class="mono">stripe-signature<\/th><td class="mono">\[redacted\]<\/td>/)
    expect(page).not.toMatch(/v1=[0-9a-f]{64}/)
  })

  it('shows a body that is not UTF-8 as a hex dump', async () => {
    const response = await get(handler(), `?id=${data.ids.binary}`)
    const page = await response.text()
    expect(page).toContain('binary, shown as hex')
    expect(page).toContain('00000000  3c 73 63 72 69 70 74 3e ff 00 1b fe')
    expect(page).toContain('&lt;script&gt;')
    expectInert(page, nonceOf(response))
  })

  it('shows only the first part of a huge body, and serves the whole body as a download', async () => {
    const response = await get(handler(), `?id=${data.ids.huge}`)
    const page = await response.text()
    expect(page).toContain(`${data.hugeBody.length} bytes; UTF-8; the first 262144 bytes shown`)
    expect(page.length).toBeLessThan(700_000)
    const download = await get(handler(), `?id=${data.ids.huge}&body=raw`)
    expect(download.headers.get('content-type')).toBe('application/octet-stream')
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${data.ids.huge}.bin"`)
    expect(download.headers.get('content-security-policy')).toContain('sandbox')
    expect(Buffer.from(await download.arrayBuffer()).equals(data.hugeBody)).toBe(true)
  })

  it('filters by outcome, provider, type and code, and pages with a cursor', async () => {
    const rejected = await (await get(handler(), '?outcome=rejected')).text()
    expect(rejected).toContain(data.ids.forged)
    expect(rejected).toContain(data.ids.binary)
    expect(rejected).not.toContain(data.ids.plain)
    const byType = await (await get(handler(), '?type=invoice.paid')).text()
    expect(byType).toContain(data.ids.plain)
    expect(byType).not.toContain(data.ids.huge)
    expect(await (await get(handler(), '?code=signature.invalid&provider=stripe')).text()).toContain(data.ids.forged)
    expect(await (await get(handler(), '?provider=github')).text()).toContain('No deliveries match.')
    const small = inspect({ archive, pageSize: 2, logger: false })
    const first = await (await get(small)).text()
    const next = /<a href="([^"]+)" rel="next">/.exec(first)![1]!.replaceAll('&amp;', '&')
    const second = await (await get(small, next)).text()
    expect(second).toContain(data.ids.forged)
    expect(second).not.toContain(data.ids.binary)
    expect((await get(small, '?cursor=forged')).status).toBe(400)
  })

  it('draws counts by outcome and by code over time as inline SVG', async () => {
    const page = await (await get(handler(), '?range=1h')).text()
    expect(page).toContain('<svg viewBox="0 0 720 150" role="img" aria-label="By outcome, last hour"')
    expect(page).toMatch(/<rect [^>]*fill="#1f8a4c"><title>[^<]+ UTC — accepted: 3<\/title><\/rect>/)
    expect(page).toMatch(/<rect [^>]*fill="#c62f2f"><title>[^<]+ UTC — rejected: 2<\/title><\/rect>/)
    expect(page).toMatch(/<title>[^<]+ UTC — signature\.invalid: 2<\/title>/)
    expect(page).toMatch(/accepted 3<\/span>/)
  })

  it('serves its script as a file; nothing else', async () => {
    const script = await get(handler(), '?asset=app.js')
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    const text = await script.text()
    expect(text).toContain("document.querySelectorAll('time[datetime]')")
    expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/)
    expect((await get(handler(), '?asset=../../etc/passwd')).status).toBe(404)
  })

  it('has no Replay button and refuses POST', async () => {
    const page = await (await get(handler(), `?id=${data.ids.plain}`)).text()
    expect(page).not.toContain('Replay')
    const response = await handler()(
      new Request(`${ORIGIN}/_hookguard?id=${data.ids.plain}&action=replay`, {
        method: 'POST',
        headers: { origin: ORIGIN },
      }),
    )
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
  })

  it('answers 404 for an unknown delivery', async () => {
    const response = await get(handler(), '?id=01JUNKNOWN0000000000000000')
    expect(response.status).toBe(404)
    expect(await response.text()).toContain('No archived delivery with this id.')
  })

  it('answers 421 to a host name it does not serve', async () => {
    const pinned = inspect({ archive, allowedHosts: ['inspect.test'], logger: false })
    expect((await get(pinned)).status).toBe(200)
    const rebound = await pinned(new Request('http://attacker.example/_hookguard'))
    expect(rebound.status).toBe(421)
  })
})

describe('configuration errors throw at inspect()', () => {
  it.each([
    [{}, /archive is required/],
    [{ archive: {} as never }, /archive is required/],
    [{ archiveX: 1 } as never, /unknown option 'archiveX' — did you mean 'archive'\?/],
    [{ allowReplay: true }, /allowReplay needs authorize/],
    [{ allowReplay: true, authorize: () => true }, /allowReplay needs receiver/],
    [{ secret: 'short' }, /secret must be at least 32 bytes/],
    [{ pageSize: 0 }, /pageSize must be an integer from 1 to 1000/],
  ] as Array<[Partial<InspectorOptions>, RegExp]>)('%j', (options, message) => {
    const withArchive =
      'archive' in options || Object.keys(options).length === 0 || 'archiveX' in options
        ? options
        : { archive, ...options }
    expect(() => inspect(withArchive as InspectorOptions)).toThrow(TypeError)
    expect(() => inspect(withArchive as InspectorOptions)).toThrow(message)
  })
})

describe('replay from the page', () => {
  const clock = fixedClock(Date.now())
  const calls: unknown[] = []
  let allow = true
  const options = (): InspectorOptions => ({
    receiver: data.receiver,
    allowReplay: true,
    authorize: (request, native) => {
      calls.push(native)
      if (request.headers.get('x-boom')) throw new Error('session store down')
      return allow
    },
    now: clock,
    logger: false,
  })
  let handler: ReturnType<typeof inspect>

  beforeAll(() => {
    handler = inspect(options())
  })

  async function tokenFor(id: string): Promise<string> {
    const page = await (await get(handler, `?id=${id}`)).text()
    return /<input type="hidden" name="token" value="([^"]+)">/.exec(page)![1]!
  }

  function post(id: string, body: string, headers: Record<string, string> = { origin: ORIGIN }) {
    return handler(
      new Request(`${ORIGIN}/_hookguard?id=${id}&action=replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      }),
      'native-request',
    )
  }

  it('replays with the page token and redirects to the new delivery', async () => {
    const before = calls.length
    const response = await post(data.ids.plain, `token=${encodeURIComponent(await tokenFor(data.ids.plain))}`)
    expect(response.status).toBe(303)
    const location = response.headers.get('location')!
    expect(location).toMatch(/^\?id=[0-7][0-9A-HJKMNP-TV-Z]{25}$/)
    const replayed = await archive.get(location.slice(4))
    expect(replayed).toMatchObject({ replayOf: data.ids.plain, verified: true, eventId: 'evt_plain' })
    expect(calls.slice(before)).toEqual(['native-request'])
    const page = await (await get(handler, location)).text()
    expect(page).toContain(`<a class="mono" href="?id=${data.ids.plain}">${data.ids.plain}</a>`)
  })

  it('accepts Sec-Fetch-Site: same-origin when a browser sends no Origin, or Origin: null', async () => {
    const token = await tokenFor(data.ids.plain)
    expect((await post(data.ids.plain, `token=${token}`, { 'sec-fetch-site': 'same-origin' })).status).toBe(303)
    expect(
      (await post(data.ids.plain, `token=${token}`, { origin: 'null', 'sec-fetch-site': 'same-origin' })).status,
    ).toBe(303)
  })

  it('calls authorize for every replay POST and refuses when it says no or throws', async () => {
    const token = await tokenFor(data.ids.plain)
    const before = calls.length
    allow = false
    expect((await post(data.ids.plain, `token=${token}`)).status).toBe(403)
    allow = true
    expect((await post(data.ids.plain, `token=${token}`, { origin: ORIGIN, 'x-boom': '1' })).status).toBe(403)
    expect((await post(data.ids.plain, `token=${token}`, { origin: 'http://evil.example' })).status).toBe(403)
    expect(calls.length - before).toBe(3)
  })

  it.each([
    ['a cross-origin POST', { origin: 'http://evil.example' }, 'good'],
    ['an opaque origin', { origin: 'null' }, 'good'],
    ['an opaque origin from another site', { origin: 'null', 'sec-fetch-site': 'cross-site' }, 'good'],
    ['no Origin and no Sec-Fetch-Site', {}, 'good'],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }, 'good'],
    ['no token', { origin: ORIGIN }, ''],
    ['a token of another delivery', { origin: ORIGIN }, 'other'],
    ['a tampered token', { origin: ORIGIN }, 'tampered'],
  ])('refuses %s with 403', async (_title, headers, which) => {
    const good = await tokenFor(data.ids.plain)
    const token =
      which === 'good'
        ? good
        : which === 'other'
          ? await tokenFor(data.ids.huge)
          : which === 'tampered'
            ? good.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))
            : ''
    const before = (await archive.list({ limit: 1000 })).items.length
    const response = await post(
      data.ids.plain,
      which ? `token=${encodeURIComponent(token)}` : '',
      headers as Record<string, string>,
    )
    expect(response.status).toBe(403)
    await data.receiver.flushArchive()
    expect((await archive.list({ limit: 1000 })).items.length).toBe(before)
  })

  it('refuses a token older than an hour', async () => {
    const token = await tokenFor(data.ids.plain)
    clock.advance(60 * 60 * 1000 + 1)
    try {
      expect((await post(data.ids.plain, `token=${token}`)).status).toBe(403)
    } finally {
      clock.advance(-(60 * 60 * 1000 + 1))
    }
  })

  it('does not offer replay for a delivery rejected for its signature, and refuses it', async () => {
    const page = await (await get(handler, `?id=${data.ids.forged}`)).text()
    expect(page).not.toContain('name="token"')
    expect(page).toContain('Replay: rejected for its signature: not authentic.')
  })

  it('explains a refused replay on the page (a truncated body cannot run again)', async () => {
    const small = memoryArchive({ maxBodyBytes: 1024 })
    await small.write([
      { ...(await archive.get(data.ids.huge))!, body: data.hugeBody.subarray(0, 1024), truncated: true },
    ])
    const page = await (await get(inspect({ ...options(), archive: small }), `?id=${data.ids.huge}`)).text()
    expect(page).toContain('Replay: its body is not archived in full.')
  })

  it('lets a listed public origin post (a proxy that changes the scheme)', async () => {
    const proxied = inspect({ ...options(), trustedOrigins: ['https://admin.example.com'] })
    const page = await (await get(proxied, `?id=${data.ids.plain}`)).text()
    const token = /name="token" value="([^"]+)"/.exec(page)![1]!
    const response = await proxied(
      new Request(`${ORIGIN}/_hookguard?id=${data.ids.plain}&action=replay`, {
        method: 'POST',
        headers: { origin: 'https://admin.example.com', 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(token)}`,
      }),
    )
    expect(response.status).toBe(303)
  })
})
