/**
 * `hookguard send <url>`: sign a delivery (a file or a fixture) and POST it,
 * printing the status and the answer. Exit 0 on 2xx, 1 otherwise.
 *
 * @module
 */
import { toArrayBuffer } from '../../crypto.js'
import { clip, utf8Text, visible } from '../../internal/display.js'
import { integerValue, positionals } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import { DELIVERY_HELP, DELIVERY_OPTIONS, signDelivery, type SignedDelivery } from '../internal/delivery.js'
import { EXIT, OperationError, UsageError } from '../internal/errors.js'
import { FIXTURE_NAMES, findFixture } from '../internal/fixtures.js'
import type { Output } from '../internal/output.js'
import { shown } from '../internal/output.js'
import { PROVIDER_HELP, PROVIDER_OPTIONS } from '../internal/providers.js'
import { bodyField } from '../internal/records.js'
import { printableHeaders } from './sign.js'

const MAX_SHOWN_ANSWER = 64 * 1024

function listFixtures(out: Output): number {
  const rows = FIXTURE_NAMES.map((name) => {
    const fixture = findFixture(name)
    return { name, provider: fixture.provider, description: fixture.description }
  })
  if (out.json) out.value(rows)
  else {
    const width = Math.max(...rows.map((row) => row.name.length))
    for (const row of rows) out.line(`${row.name.padEnd(width)}  ${row.description}`)
  }
  return EXIT.ok
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  if ((error as Error).name === 'TimeoutError') return 'timed out'
  return cause?.code ?? cause?.message ?? (error as Error).message
}

interface Answer {
  response: Response
  body: Uint8Array
  ms: number
}

async function post(delivery: SignedDelivery, timeoutMs: number): Promise<Answer> {
  const started = performance.now()
  let response: Response
  try {
    response = await fetch(delivery.url, {
      method: 'POST',
      headers: delivery.headers,
      body: toArrayBuffer(delivery.body),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    throw new OperationError(`could not reach ${delivery.url}: ${networkReason(error)}`)
  }
  const body = new Uint8Array(await response.arrayBuffer())
  return { response, body, ms: Math.round(performance.now() - started) }
}

function printAnswer(out: Output, delivery: SignedDelivery, { response, body, ms }: Answer): void {
  if (out.json) {
    const headers: Record<string, string> = {}
    response.headers.forEach((value, name) => (headers[name] = value))
    const ok = response.status >= 200 && response.status < 300
    const request = { url: delivery.url, headers: printableHeaders(delivery) }
    out.value({ status: response.status, ok, headers, ...bodyField(body), ms, request })
    return
  }
  const what = delivery.fixture ? `fixture ${delivery.fixture.name}` : delivery.built.provider.name
  out.line(`POST ${shown(delivery.url)} (${what}, ${delivery.body.length} bytes)`)
  out.line(`${response.status} ${shown(response.statusText)} in ${ms} ms`)
  if (body.length === 0) return
  const text = utf8Text(body)
  out.line(
    text === undefined
      ? `(${body.length} bytes of binary)`
      : clip(visible(text, 'escape', { lines: true }), MAX_SHOWN_ANSWER),
  )
}

export const send: Command = {
  name: 'send',
  summary: 'sign a delivery (a file or a fixture) and POST it to a URL',
  options: { ...PROVIDER_OPTIONS, ...DELIVERY_OPTIONS, timeout: { type: 'string' } },
  help: `Usage: hookguard send URL --provider NAME --secret env:NAME (--body FILE | --fixture NAME) [options]
       hookguard send --fixture list

Signs the delivery and POSTs it to URL, then prints the status and the
answer's body. Exits 0 on a 2xx answer, 1 on any other answer or when URL
cannot be reached. With --fixture, --provider defaults to the fixture's.

${PROVIDER_HELP}

${DELIVERY_HELP}

Request:
      --timeout MS         give up after MS milliseconds (default 10000)
      --json               {"status","ok","headers","body","bodyEncoding","ms","request":{"url","headers"}}

Examples:
  hookguard send --fixture list
  hookguard send http://localhost:3000/webhooks/stripe --fixture stripe --secret env:STRIPE_WEBHOOK_SECRET`,
  async run(parsed, { io, out, now }) {
    if (parsed.values.fixture === 'list') {
      positionals(parsed, [], 0)
      return listFixtures(out)
    }
    const [url] = positionals(parsed, ['URL'])
    if (!/^https?:\/\/[^/\s]+/i.test(url!))
      throw new UsageError(`URL must be an absolute http(s) URL (got ${JSON.stringify(url)})`)
    const timeoutMs = integerValue(parsed.values, 'timeout', 1, 600_000) ?? 10_000
    const delivery = await signDelivery(parsed.values, io, url!, now)
    const answer = await post(delivery, timeoutMs)
    printAnswer(out, delivery, answer)
    return answer.response.status >= 200 && answer.response.status < 300 ? EXIT.ok : EXIT.failed
  },
}
