/**
 * examples/metrics starts as its README says, accepts the delivery its
 * sign.ts curl recipe sends, and serves the resulting series at /metrics.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parser } from '@prometheus-io/lezer-promql'
import { afterEach, expect, it } from 'vitest'
import { stripe } from '../../src/providers/index.js'
import { signRequest } from '../../src/testing.js'
import { send } from '../adapters/http.js'
import { waitFor } from './support.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill()
})

function start(): Promise<{ base: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/metrics/server.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8')
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match) resolve({ base: match[1]!, output: () => output })
    })
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.on('exit', (code) => reject(new Error(`example exited with ${code}: ${output}`)))
  })
}

it('metrics example: the README curl recipe is accepted, and /metrics shows the delivery and the handler run', async () => {
  const { base, output } = await start()
  const url = `${base}/webhooks/stripe`
  const { stdout: curl } = await run(
    process.execPath,
    ['--import', 'tsx', 'examples/metrics/sign.ts', 'evt_readme', url],
    {
      cwd: root,
    },
  )
  expect(curl).toMatch(/^curl -sS -X POST /)
  const { stdout: answer } = await run('sh', ['-c', curl])
  expect(JSON.parse(answer)).toMatchObject({ ok: true })

  const provider = stripe({ secret: 'whsec_example_only_0123456789abcdef' })
  const forged = await signRequest(provider, { body: '{"id":"evt_forged","type":"invoice.paid"}' })
  expect((await send(url, { headers: forged.headers, body: '{"id":"evt_forged","type":"invoice.paiD"}' })).status).toBe(
    401,
  )
  await waitFor(() => output().includes('[worker] stripe invoice.paid evt_readme attempt 1'), 'worker log')

  let text = ''
  await waitFor(async () => {
    const scrape = await send(`${base}/metrics`, { method: 'GET' })
    expect(scrape.status).toBe(200)
    expect(scrape.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    text = scrape.text
    return text.includes('hookguard_handler_runs_total{result="success"} 1')
  }, 'handler run in /metrics')
  const where = 'provider="stripe",receiver="default"'
  expect(text).toContain(`hookguard_deliveries_total{${where},outcome="accepted",code=""} 1`)
  expect(text).toContain(`hookguard_deliveries_total{${where},outcome="rejected",code="signature.invalid"} 1`)
  expect(text).toContain(`hookguard_receive_duration_seconds_count{${where},outcome="accepted"} 1`)
  expect(text).toContain('hookguard_handler_duration_seconds_count 1')
  expect(text).toContain('hookguard_queue_lag_seconds_count 1')
  expect(text).toContain(`hookguard_queue_depth{${where}} 0`)

  // The README's PromQL parses, and names only series this scrape has, with labels they carry.
  const readme = readFileSync(`${root}/examples/metrics/README.md`, 'utf8')
  const queries = [...readme.matchAll(/```promql\n([^`]+)```/g)].map((match) => match[1]!.trim())
  expect(queries).toHaveLength(3)
  for (const query of queries) {
    const broken: string[] = []
    parser.parse(query).iterate({
      enter: (node) => {
        if (node.type.isError) broken.push(query.slice(node.from, node.to + 10))
      },
    })
    expect(broken, query).toEqual([])
    for (const [name] of query.matchAll(/hookguard_[a-z_]+/g))
      expect(text, name).toMatch(new RegExp(`^${name}\\{`, 'm'))
    for (const [, label] of query.matchAll(/[({,]\s*(outcome|code|result|provider)\b/g))
      expect(text, label).toMatch(new RegExp(`[{,]${label}="`))
  }
})
