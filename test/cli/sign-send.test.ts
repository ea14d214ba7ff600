/**
 * `hookguard sign` and `hookguard send`, run as the built bin: every
 * provider's fixture is signed so that a real receiver for that provider
 * accepts it (through `receiver.handle`, through an HTTP server, and through
 * the printed curl command itself), every send of a fixture is a new event,
 * and no secret or private key is ever printed.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hookguard } from '../../adapters/node.js'
import { PROVIDER_NAMES } from '../../src/cli/internal/providers.js'
import { createReceiver, type Outcome, type Receiver } from '../../src/index.js'
import { builtBin, run } from './support/built.js'
import { ALL_SECRETS, CLI_PROVIDERS, type CliProvider } from './support/providers.js'

const dir = mkdtempSync(join(tmpdir(), 'hookguard-cli-sign-'))
const outcomes: Outcome[] = []
const receivers = new Map<string, Receiver>()
let server: Server
let base: string
const ENV = Object.assign({}, ...CLI_PROVIDERS.map((p) => p.env)) as Record<string, string>

beforeAll(async () => {
  await builtBin()
  for (const provider of CLI_PROVIDERS) {
    receivers.set(
      provider.name,
      createReceiver({
        provider: provider.verifier(),
        logger: false,
        onOutcome: (outcome) => void outcomes.push(outcome),
      }),
    )
  }
  const listeners = new Map([...receivers].map(([name, receiver]) => [`/webhooks/${name}`, hookguard(receiver)]))
  server = createServer((req, res) => {
    const listener = listeners.get((req.url ?? '').split('?')[0]!)
    if (listener) listener(req, res)
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
}, 300_000)

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  for (const receiver of receivers.values()) await receiver.close()
  rmSync(dir, { recursive: true, force: true })
})

function expectNoSecrets(text: string): void {
  for (const secret of ALL_SECRETS)
    for (const piece of secret.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----')))
      expect(text).not.toContain(piece)
}

function cli(provider: CliProvider, ...args: string[]) {
  return run([...args, ...provider.args], { env: ENV })
}

describe('hookguard sign', () => {
  it.each(CLI_PROVIDERS.map((p) => [p.name, p] as const))(
    'signs the %s fixture so its receiver accepts it',
    async (name, provider) => {
      const url = `https://hooks.example.com/webhooks/${name}`
      const result = await cli(provider, 'sign', '--fixture', name, '--url', url, '--json')
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expectNoSecrets(result.stdout + result.stderr)
      const signed = JSON.parse(result.stdout)
      expect(signed.bodyEncoding).toBe('utf8')
      // GitLab's header is the token itself: printed as ${VARIABLE}, filled in here as a shell would.
      const headers = Object.fromEntries(
        Object.entries(signed.headers as Record<string, string>).map(([k, v]) => [
          k,
          v.replace(/\$\{(\w+)\}/g, (_, n) => ENV[n]!),
        ]),
      )
      for (const [header, value] of Object.entries(provider.hidden ?? {})) {
        expect(headers[header]).toContain('<secret>')
        headers[header] = value
      }
      const answer = await receivers
        .get(name)!
        .handle({ method: 'POST', url: signed.url, headers, body: Buffer.from(signed.body) })
      expect(answer.status, `${name}: ${answer.body}`).toBe(200)
      expect(['accepted', 'handshake']).toContain(answer.outcome.kind)
      expect(signed.curl).toContain(`curl -sS -X POST '${signed.url}'`)
    },
  )

  it('prints headers and a curl command that really delivers the body file', async () => {
    const stripe = CLI_PROVIDERS.find((p) => p.name === 'stripe')!
    const body = join(dir, 'event.json')
    writeFileSync(
      body,
      JSON.stringify({ id: 'evt_curl_file', object: 'event', type: 'invoice.paid', data: { object: {} } }),
    )
    const result = await cli(stripe, 'sign', '--provider', 'stripe', '--body', body, '--url', `${base}/webhooks/stripe`)
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      /^# POST http:\/\/127\.0\.0\.1:\d+\/webhooks\/stripe\ncontent-type: application\/json\nstripe-signature: t=\d+,v1=[0-9a-f]{64}\n\ncurl /,
    )
    const curl = result.stdout.slice(result.stdout.indexOf('curl '))
    expect(curl).toContain(`--data-binary @'${body}'`)
    const { stdout } = await promisify(execFile)('sh', ['-c', curl])
    expect(JSON.parse(stdout)).toMatchObject({ ok: true })
    expect(outcomes.at(-1)).toMatchObject({ kind: 'accepted', provider: 'stripe', id: 'evt_curl_file' })
  })

  it("writes GitLab's token as ${VARIABLE} in the curl command, and the shell fills it in", async () => {
    const gitlab = CLI_PROVIDERS.find((p) => p.name === 'gitlab')!
    const result = await cli(gitlab, 'sign', '--fixture', 'gitlab', '--url', `${base}/webhooks/gitlab`)
    expect(result.code).toBe(0)
    expectNoSecrets(result.stdout)
    expect(result.stdout).toContain('x-gitlab-token: ${HG_GITLAB_SECRET}')
    expect(result.stdout).toContain('-H "x-gitlab-token: ${HG_GITLAB_SECRET}"')
    const curl = result.stdout.slice(result.stdout.indexOf('curl '))
    const { stdout } = await promisify(execFile)('sh', ['-c', curl], { env: { ...process.env, ...ENV } })
    expect(JSON.parse(stdout)).toMatchObject({ ok: true })
    expect(outcomes.at(-1)).toMatchObject({ kind: 'accepted', provider: 'gitlab' })
  })

  it('hides a secret given as a literal value behind <secret>', async () => {
    const token = ENV.HG_GITLAB_SECRET!
    const result = await run(['sign', '--fixture', 'gitlab', '--secret', token, '--json'])
    expect(result.code).toBe(0)
    expect(result.stdout).not.toContain(token)
    expect(JSON.parse(result.stdout).headers['x-gitlab-token']).toBe('<secret>')
  })

  it('signs standard input with a fixed id and timestamp, reproducibly', async () => {
    const stripe = CLI_PROVIDERS.find((p) => p.name === 'stripe')!
    const body = '{"id":"evt_stdin","type":"ping"}'
    const args = ['sign', '--provider', 'stripe', '--body', '-', '--timestamp', '1700000000', '--json', ...stripe.args]
    const [first, second] = await Promise.all([
      run(args, { env: ENV, input: body }),
      run(args, { env: ENV, input: body }),
    ])
    expect(first.code).toBe(0)
    const signed = JSON.parse(first.stdout)
    expect(signed.body).toBe(body)
    expect(signed.headers['stripe-signature']).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/)
    expect(JSON.parse(second.stdout).headers).toEqual(signed.headers)
  })
})

describe('hookguard send', () => {
  it('lists one fixture per provider, and says which provider has none and why', async () => {
    const result = await run(['send', '--fixture', 'list', '--json'])
    expect(result.code).toBe(0)
    const rows = JSON.parse(result.stdout) as Array<{ name: string; provider: string; description: string }>
    // A provider added without a fixture (or a NO_FIXTURE reason) fails here.
    expect(rows.map((row) => row.name)).toEqual(PROVIDER_NAMES)
    const missing = rows.filter((row) => row.description.startsWith('(no fixture)'))
    expect(missing.map((row) => row.name)).toEqual(['plaid'])
    expect(missing[0]!.description).toMatch(/ES256.*\/sandbox\/item\/fire_webhook/)
    expect(rows.filter((row) => !missing.includes(row)).map((row) => row.name)).toEqual(
      CLI_PROVIDERS.map((p) => p.name).sort(),
    )
    for (const row of rows) expect(row.description.length).toBeGreaterThan(5)
    const text = await run(['send', '--fixture', 'list'])
    expect(text.stdout).toMatch(/^stripe\s+payment_intent\.succeeded/m)
    expect(text.stdout).toMatch(/^plaid\s+\(no fixture\) Plaid signs with its own ES256 key/m)
  })

  it.each(CLI_PROVIDERS.map((p) => [p.name, p] as const))(
    'POSTs the %s fixture to a real server twice: 2xx and exit 0, two accepted events',
    async (name, provider) => {
      const expected = { kind: 'accepted', provider: receivers.get(name)!.provider.name }
      const sent: Outcome[] = []
      for (let i = 0; i < 2; i++) {
        const before = outcomes.length
        const result = await cli(provider, 'send', `${base}/webhooks/${name}`, '--fixture', name)
        expect(result.stderr).toBe('')
        expect(result.code).toBe(0)
        expect(result.stdout).toMatch(
          new RegExp(`^POST ${base}/webhooks/${name}.* \\(fixture ${name}, \\d+ bytes\\)\\n200 OK in \\d+ ms\\n`),
        )
        expectNoSecrets(result.stdout)
        expect(outcomes.slice(before)).toMatchObject([expected])
        sent.push(outcomes.at(-1)!)
      }
      // Fresh placeholders every send: the second is a new event, not a duplicate of the first.
      const [first, second] = sent as Array<Outcome & { id: string }>
      expect(first!.id).toEqual(expect.any(String))
      expect(second!.id).not.toBe(first!.id)
    },
  )

  it('exits 1 with the answer when the receiver refuses (wrong secret: 401)', async () => {
    const result = await run(
      ['send', `${base}/webhooks/stripe`, '--fixture', 'stripe', '--secret', 'env:WRONG', '--json'],
      { env: { WRONG: 'whsec_not_the_right_secret_0123456789' } },
    )
    expect(result.code).toBe(1)
    const answer = JSON.parse(result.stdout)
    expect(answer).toMatchObject({ status: 401, ok: false, bodyEncoding: 'utf8' })
    expect(JSON.parse(answer.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect(outcomes.at(-1)).toMatchObject({ kind: 'rejected', code: 'signature.invalid' })
  })

  it('exits 1 with one line when the URL cannot be reached', async () => {
    const stripe = CLI_PROVIDERS.find((p) => p.name === 'stripe')!
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as { port: number }).port
    await new Promise((resolve) => closed.close(resolve))
    const result = await cli(stripe, 'send', `http://127.0.0.1:${port}/x`, '--fixture', 'stripe')
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^hookguard send: could not reach http:\/\/127\.0\.0\.1:\d+\/x: ECONNREFUSED\n$/)
  })
})

describe('bad input: exit 2 and one line on stderr', () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    [
      'a missing environment variable',
      ['sign', '--fixture', 'stripe', '--secret', 'env:NOPE'],
      {},
      /--secret env:NOPE: NOPE is not set/,
    ],
    [
      'an unknown provider',
      ['sign', '--provider', 'strpe', '--body', '-', '--secret', 'x'],
      {},
      /unknown provider "strpe" \(did you mean stripe\?\)/,
    ],
    [
      'an unknown fixture',
      ['send', 'http://127.0.0.1:1/', '--fixture', 'githib', '--secret', 'x'],
      {},
      /unknown fixture "githib" \(did you mean github\?\)/,
    ],
    [
      'no body',
      ['sign', '--provider', 'stripe', '--secret', 'env:S'],
      { S: 'whsec_0123456789abcdef0123' },
      /give the body: --body FILE/,
    ],
    [
      'a weak secret',
      ['sign', '--fixture', 'stripe', '--secret', 'env:S'],
      { S: 'changeme' },
      /stripe: secret is a placeholder/,
    ],
    [
      'a key flag the provider does not take',
      ['sign', '--fixture', 'stripe', '--public-key', 'x'],
      {},
      /--provider stripe does not take --public-key/,
    ],
    [
      'a relative URL',
      ['send', '/webhooks', '--fixture', 'stripe', '--secret', 'env:S'],
      { S: 'whsec_0123456789abcdef0123' },
      /URL must be an absolute http\(s\) URL/,
    ],
    [
      'a timestamp that is not a number',
      ['sign', '--fixture', 'stripe', '--secret', 'env:S', '--timestamp', 'soon'],
      { S: 'whsec_0123456789abcdef0123' },
      /--timestamp must be a whole number/,
    ],
    ['an option without its value', ['sign', '--fixture'], {}, /--fixture needs a value/],
    [
      'a provider with no fixture',
      ['send', 'http://127.0.0.1:1/', '--fixture', 'plaid'],
      {},
      /no fixture for plaid: Plaid signs with its own ES256 key/,
    ],
    [
      'postmark without its basic-auth user name',
      ['sign', '--fixture', 'postmark', '--secret', 'env:P'],
      { P: 'postmark-password-0123456789' },
      /--provider postmark needs --option username=NAME/,
    ],
    [
      'discord without a private key',
      ['sign', '--fixture', 'discord', '--public-key', 'env:P'],
      { P: '96bab99ebcad86927c0cf42ab071f53667af0d76890b9515fbf25875ee527cae' },
      /--provider discord needs --private-key/,
    ],
  ]
  it.each(cases)('%s', async (_title, args, env, message) => {
    const result = await run(args, { env })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toContain('changeme')
  })
})
