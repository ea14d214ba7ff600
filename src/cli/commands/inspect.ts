/**
 * `hookguard inspect`: the inspector page on a local port, over the archive
 * given by `--sqlite` or `--postgres`, until Ctrl-C. It listens on
 * 127.0.0.1 only and answers only to loopback host names (no DNS
 * rebinding). The printed URL carries a one-time access key that becomes
 * a same-site cookie, so other local users cannot read the page. Replay
 * needs `--allow-replay` and the provider's secret.
 *
 * @module
 */
import { createServer } from 'node:http'
import { timingSafeEqual, randomBytes } from 'node:crypto'
import { createReceiver } from '../../receiver/index.js'
import { inspect, type InspectorHandler } from '../../inspector/index.js'
import { sendNodeResponse, toFetchRequest } from '../../inspector/mounts/bridge.js'
import { integerValue, positionals, stringValue, type Values } from '../internal/args.js'
import type { Command } from '../internal/command.js'
import { EXIT, OperationError, UsageError } from '../internal/errors.js'
import type { CliIo } from '../internal/io.js'
import { buildProvider, PROVIDER_HELP, PROVIDER_OPTIONS } from '../internal/providers.js'
import {
  QUEUE_HELP,
  QUEUE_OPTIONS,
  STORAGE_HELP,
  STORAGE_OPTIONS,
  stderrLogger,
  withStorage,
  type Storage,
} from '../internal/storage.js'

const COOKIE = 'hookguard_inspector'

function cookieKey(request: Request): string | undefined {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [name, value] = part.trim().split('=')
    if (name === COOKIE) return value
  }
  return undefined
}

function matches(given: string | undefined | null, key: string): boolean {
  return (
    typeof given === 'string' && given.length === key.length && timingSafeEqual(Buffer.from(given), Buffer.from(key))
  )
}

/** Lets through requests with the access key's cookie; `?key=` sets it and redirects to the clean URL. */
function withAccessKey(handler: InspectorHandler, key: string): InspectorHandler {
  return async function keyed(request, native) {
    const url = new URL(request.url)
    if (url.searchParams.has('key')) {
      if (!matches(url.searchParams.get('key'), key)) return new Response('Wrong access key.\n', { status: 401 })
      url.searchParams.delete('key')
      return new Response(null, {
        status: 303,
        headers: {
          location: `${url.pathname}${url.search}`,
          'set-cookie': `${COOKIE}=${key}; HttpOnly; SameSite=Strict; Path=/`,
        },
      })
    }
    if (!matches(cookieKey(request), key))
      return new Response('Open the URL that hookguard inspect printed (it carries the access key).\n', { status: 401 })
    return handler(request, native)
  }
}

async function replayReceivers(values: Values, io: CliIo, storage: Storage) {
  if (values['allow-replay'] !== true) {
    for (const flag of ['provider', 'secret', 'public-key', 'name'])
      if (values[flag] !== undefined) throw new UsageError(`--${flag} is for --allow-replay`)
    return []
  }
  const { provider } = buildProvider(values, io, { signing: false })
  const queue = await storage.queue()
  const name = stringValue(values, 'name') ?? 'default'
  return [createReceiver({ provider, archive: storage.archive, queue, name, logger: stderrLogger(io) })]
}

async function listen(handler: InspectorHandler, port: number) {
  const server = createServer((req, res) => {
    toFetchRequest(req)
      .then((request) => handler(request, req))
      .then((response) => sendNodeResponse(res, response))
      .catch(() => res.writeHead(500).end())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new OperationError(`cannot listen on 127.0.0.1:${port}: ${error.code ?? error.message}`)),
    )
    server.listen(port, '127.0.0.1', resolve)
  })
  return server
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'serve the inspector page for an archive on 127.0.0.1',
  options: {
    ...STORAGE_OPTIONS,
    ...QUEUE_OPTIONS,
    ...PROVIDER_OPTIONS,
    port: { type: 'string' },
    'allow-replay': { type: 'boolean' },
    name: { type: 'string' },
  },
  help: `Usage: hookguard inspect (--sqlite PATH | --postgres URL) [--port N] [--allow-replay --secret env:NAME …]

Serves the inspector page (list, charts, detail views) for the archive on
http://127.0.0.1:PORT until Ctrl-C. It answers only on loopback names, and
only to a browser that opened the printed URL (it carries an access key).
Read-only unless --allow-replay.

${STORAGE_HELP}

Server:
      --port N             port on 127.0.0.1 (default 4000; 0 picks a free one)
      --json               print {"url","port"} once listening

Replay (off by default):
      --allow-replay       show a Replay button; needs the provider's keys to verify again
      --name NAME          the receiver name the deliveries were received under (default 'default')
${QUEUE_HELP}

${PROVIDER_HELP}`,
  async run(parsed, { io, out }) {
    positionals(parsed, [])
    const port = integerValue(parsed.values, 'port', 0, 65535) ?? 4000
    const key = randomBytes(18).toString('base64url')
    await withStorage(parsed.values, io, async (storage) => {
      const receivers = await replayReceivers(parsed.values, io, storage)
      const hosts = (p: number): string[] => [`127.0.0.1:${p}`, `localhost:${p}`]
      // The allowed Host names need the bound port, known only once listening.
      const ready: { inspector?: InspectorHandler } = {}
      const handler: InspectorHandler = async (request, native) =>
        ready.inspector ? ready.inspector(request, native) : new Response('Starting.\n', { status: 503 })
      const server = await listen(withAccessKey(handler, key), port)
      const bound = (server.address() as { port: number }).port
      ready.inspector = inspect({
        archive: storage.archive,
        receiver: receivers,
        allowReplay: receivers.length > 0,
        authorize: (request) => matches(cookieKey(request), key),
        allowedHosts: hosts(bound),
        logger: stderrLogger(io),
      })
      const url = `http://127.0.0.1:${bound}/?key=${key}`
      if (out.json) out.value({ url, port: bound }, { compact: true })
      else out.line(`hookguard inspector on ${url}  (Ctrl-C to stop)`)
      try {
        await io.interrupted()
      } finally {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
        for (const receiver of receivers) await receiver.close()
      }
    })
    return EXIT.ok
  },
}
