/**
 * `npm run demo`: a receiver on a free loopback port with the embedded
 * defaults (memory store and queue), fed a scripted series of real signed
 * deliveries over HTTP. Prints what was sent, the status that came back and
 * what the worker did. Needs no services and exits by itself.
 */
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { hookguard } from '../adapters/node.js'
import {
  createReceiver,
  memoryArchive,
  github,
  memoryQueue,
  stripe,
  type ArchiveStats,
  type WebhookEvent,
  type WorkerHooks,
} from '../src/index.js'
import { signRequest } from '../src/testing.js'

export interface DemoRow {
  sent: string
  status: number
  /** What the response body says: `accepted`, `duplicate`, or the error code. */
  outcome: string
  /** What the worker did with the event, once the queues are idle. */
  worker: string
}

export interface DemoOptions {
  /** Where the table goes. Default `console.log`. */
  print?: (line: string) => void
}

export interface Reply {
  status: number
  outcome: string
}

function post(
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  declaredLength?: number,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body
    const length = declaredLength ?? bytes?.length ?? 0
    let done = false
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(length) } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          done = true
          req.destroy()
          let outcome = String(res.headers['hookguard-outcome'] ?? '')
          try {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              ok: boolean
              status?: string
              error?: { code?: string }
            }
            outcome = (json.ok ? json.status : json.error?.code) ?? outcome
          } catch {}
          resolve({ status: res.statusCode ?? 0, outcome })
        })
      },
    )
    req.on('error', (error) => {
      if (!done) reject(error)
    })
    if (declaredLength !== undefined) {
      // Only announce the size: the answer comes before a single body byte is sent.
      req.flushHeaders()
      return
    }
    req.end(bytes)
  })
}

function table(rows: DemoRow[]): string[] {
  const head = ['#', 'delivery sent', 'status', 'worker']
  const cells = rows.map((row, i) => [String(i + 1), row.sent, `${row.status} ${row.outcome}`, row.worker])
  const widths = head.map((h, col) => Math.max(h.length, ...cells.map((c) => c[col]!.length)))
  const line = (values: string[]): string =>
    values
      .map((v, col) => v.padEnd(widths[col]!))
      .join('  ')
      .trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)]
}

export interface DemoResult {
  rows: DemoRow[]
  /** The archive's counts after the scripted deliveries. */
  before: ArchiveStats
  /** … and after the fixed handler ran the re-sent dead letter. */
  after: ArchiveStats
  /** The answer to the re-send of the dead-lettered event. */
  resent: Reply
}

export async function main(options: DemoOptions = {}): Promise<DemoResult> {
  const print = options.print ?? ((line: string) => console.log(line))
  const journal = new Map<string, string[]>()
  const note = (event: WebhookEvent, text: string): void => {
    journal.set(event.id, [...(journal.get(event.id) ?? []), text])
  }
  const hooks: WorkerHooks = {
    onSuccess: (event) => note(event, `handled (attempt ${event.attempt})`),
    onRetry: (event, _error, delayMs) => note(event, `failed attempt ${event.attempt}, retry in ${delayMs} ms`),
    onDeadLetter: (event) => note(event, `failed attempt ${event.attempt}, dead-lettered`),
  }
  // Short backoff so the demo's retries happen within a second.
  const retry = { attempts: 3, backoffMs: 100 }
  let flakyRuns = 0
  let bugFixed = false
  // One archive for both endpoints: every request, its bytes, its answer and what the worker did.
  const archive = memoryArchive({ max: 1000 })
  const stripeProvider = stripe({ secret: 'whsec_demo_0123456789abcdefABCDEF' })
  const githubProvider = github({ secret: 'demo-github-webhook-secret' })
  const stripeQueue = memoryQueue({ ...retry, ...hooks })
  const githubQueue = memoryQueue({ ...retry, ...hooks })
  const quiet = { warn: () => {}, error: () => {} }
  const stripeReceiver = createReceiver({
    provider: stripeProvider,
    queue: stripeQueue,
    archive,
    logger: quiet,
    handler: (event) => {
      if (event.id === 'evt_flaky' && ++flakyRuns === 1) throw new Error('database briefly unavailable')
      if (event.id === 'evt_broken' && !bugFixed) throw new Error('bug in the handler')
    },
  })
  const githubReceiver = createReceiver({
    provider: githubProvider,
    queue: githubQueue,
    archive,
    logger: quiet,
    handler: () => {},
  })
  const onStripe = hookguard(stripeReceiver)
  const onGithub = hookguard(githubReceiver)
  const server: Server = createServer((req, res) => {
    if (req.url === '/webhooks/stripe') return onStripe(req, res)
    if (req.url === '/webhooks/github') return onGithub(req, res)
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const stripeUrl = `${base}/webhooks/stripe`

  const stripeEvent = (id: string, type = 'payment_intent.succeeded'): string =>
    JSON.stringify({ id, object: 'event', type, data: { object: { amount: 2000 } } })
  const rows: Array<Omit<DemoRow, 'worker'> & { key?: string; worker?: string }> = []
  let before: ArchiveStats | undefined
  let after: ArchiveStats | undefined
  let resent: Reply | undefined
  let result: DemoRow[]
  /** `key`: the event whose worker runs to report; `worker`: a fixed text instead. */
  async function step(
    sent: string,
    reply: Promise<Reply>,
    worker: { key?: string; text?: string } = {},
  ): Promise<void> {
    const { status, outcome } = await reply
    rows.push({ sent, status, outcome, key: worker.key, worker: worker.text })
  }

  try {
    const valid = await signRequest(stripeProvider, { body: stripeEvent('evt_1001') })
    await step('Stripe evt_1001, correctly signed', post(stripeUrl, valid.headers, valid.body), {
      key: 'evt_1001',
    })
    await step('Stripe evt_1001 again (sender retry)', post(stripeUrl, valid.headers, valid.body), {
      text: 'not run again',
    })
    await step('Stripe evt_1002, body edited after signing', post(stripeUrl, valid.headers, stripeEvent('evt_1002')))
    const stale = await signRequest(stripeProvider, {
      body: stripeEvent('evt_1003'),
      timestamp: Math.floor(Date.now() / 1000) - 3600,
    })
    await step('Stripe evt_1003, signed an hour ago (replay)', post(stripeUrl, stale.headers, stale.body))
    await step(
      'Stripe delivery announcing 2 MiB (limit 1 MiB)',
      post(stripeUrl, valid.headers, undefined, 2 * 1024 * 1024),
    )
    const flaky = await signRequest(stripeProvider, { body: stripeEvent('evt_flaky') })
    await step('Stripe evt_flaky, handler fails once', post(stripeUrl, flaky.headers, flaky.body), {
      key: 'evt_flaky',
    })
    const broken = await signRequest(stripeProvider, { body: stripeEvent('evt_broken') })
    await step('Stripe evt_broken, handler always fails', post(stripeUrl, broken.headers, broken.body), {
      key: 'evt_broken',
    })
    const push = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/shop' } })
    const signedPush = await signRequest(githubProvider, {
      body: push,
      id: '7f1c2e00-demo',
      headers: { 'x-github-event': 'push' },
    })
    await step('GitHub push, correctly signed', post(`${base}/webhooks/github`, signedPush.headers, signedPush.body), {
      key: '7f1c2e00-demo',
    })

    await Promise.all([stripeQueue.idle(), githubQueue.idle()])
    await Promise.all([stripeReceiver.flushArchive(), githubReceiver.flushArchive()])
    before = await archive.stats()
    result = rows.map(({ key, worker, ...row }) => ({
      ...row,
      worker: worker ?? (key ? (journal.get(key) ?? ['not run']).join('; ') : 'never queued'),
    }))
    // The bug is fixed; Stripe's "resend" sends the very same signed delivery again.
    bugFixed = true
    resent = await post(stripeUrl, broken.headers, broken.body)
    await stripeQueue.idle()
    await stripeReceiver.flushArchive()
    after = await archive.stats()
  } finally {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await Promise.all([stripeReceiver.close(), githubReceiver.close()])
  }

  print(`hookguard demo: receiver on ${base} (memory store, memory queue)`)
  print('')
  for (const line of table(result)) print(line)
  print('')
  print('Duplicates are answered 200 so the sender stops retrying, and never run twice.')
  print('Forged, replayed and oversize deliveries never reach the store, the queue or your handler.')
  print('')
  print(`archive: ${summary(before!)}`)
  print('')
  print(
    `Bug fixed; Stripe resends evt_broken: ${resent!.status} ${resent!.outcome} → ${(journal.get('evt_broken') ?? []).at(-1)}`,
  )
  print(`archive: ${summary(after!)}`)
  return { rows: result, before: before!, after: after!, resent: resent! }
}

function counts(record: Record<string, number>): string {
  return Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`)
    .join(', ')
}

/** "received 9: accepted 6, duplicate 1, rejected 3 (…) · worker: handled 5, dead 1" */
export function summary(stats: ArchiveStats): string {
  return `received ${stats.total}: ${counts(stats.byOutcome)} · rejected by code: ${counts(stats.byCode)} · worker: ${counts(stats.byState)}`
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    () => {
      process.exitCode = 0
    },
    (error: unknown) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
