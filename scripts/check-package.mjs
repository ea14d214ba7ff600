#!/usr/bin/env node
// Builds, packs, lints the tarball (publint, arethetypeswrong), then installs
// it into a throwaway consumer and imports it by name from ESM and from CJS.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const run = (cmd, args, cwd = root) => {
  console.log(`$ ${cmd} ${args.join(' ')}`)
  execFileSync(cmd, args, { cwd, stdio: 'inherit' })
}
const capture = (cmd, args, cwd = root) => execFileSync(cmd, args, { cwd, encoding: 'utf8' })

run('npm', ['run', 'build'])
const work = mkdtempSync(join(tmpdir(), 'hookguard-pack-'))
try {
  const packed = JSON.parse(capture('npm', ['pack', '--json', '--pack-destination', work]))
  const tarball = join(work, packed[0].filename)
  console.log(`packed ${packed[0].filename}: ${packed[0].files.length} files, ${packed[0].size} bytes`)
  run('npx', ['publint', '--strict', tarball])
  run('npx', ['attw', '--pack', '.', '--profile', 'node16', '--ignore-rules', 'cjs-resolves-to-esm'])

  const consumer = join(work, 'consumer')
  execFileSync('mkdir', ['-p', consumer])
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }))
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save', tarball], consumer)

  const scenario = (load) => `
    const { createReceiver, stripe, isHookguardError, HookguardError } = ${load('hookguard')}
    const { signRequest } = ${load('hookguard/testing')}
    const { hookguard } = ${load('hookguard/fetch')}
    const provider = stripe({ secret: 'whsec_consumer_smoke_0123456789' })
    const receiver = createReceiver({ provider, logger: false })
    const body = JSON.stringify({ id: 'evt_smoke', type: 'ping' })
    const signed = await signRequest(provider, { body })
    const result = await receiver.handle({ method: 'POST', headers: signed.headers, body })
    if (result.status !== 200) throw new Error('expected 200, got ' + result.status)
    const endpoint = hookguard(receiver)
    const response = await endpoint(new Request('http://localhost/webhooks', { method: 'POST', headers: signed.headers, body }))
    if (response.status !== 200 || !(await response.text()).includes('duplicate')) throw new Error('fetch adapter: expected a 200 duplicate')
    if (!isHookguardError(new HookguardError('signature.invalid'))) throw new Error('brand check failed')
    await receiver.close()
    console.log('ok: ' + result.body)
  `
  writeFileSync(
    join(consumer, 'esm.mjs'),
    scenario((name) => `await import('${name}')`),
  )
  writeFileSync(
    join(consumer, 'cjs.cjs'),
    `(async () => {${scenario((name) => `require('${name}')`)}})().catch((e) => { console.error(e); process.exit(1) })`,
  )
  run('node', ['esm.mjs'], consumer)
  run('node', ['cjs.cjs'], consumer)
  // hookguard/conformance resolves from both module systems without its optional peer (vitest) installed.
  writeFileSync(
    join(consumer, 'resolve.mjs'),
    `import { createRequire } from 'node:module'
    const esm = import.meta.resolve('hookguard/conformance')
    const cjs = createRequire(import.meta.url).resolve('hookguard/conformance')
    if (!esm.endsWith('/dist/conformance.js') || !cjs.endsWith('/dist/conformance.cjs'))
      throw new Error('hookguard/conformance resolved to ' + esm + ' and ' + cjs)
    console.log('conformance entry resolves: ' + esm + ', ' + cjs)`,
  )
  run('node', ['resolve.mjs'], consumer)
  // Then a user's test file runs the suites from the tarball against the built-in memory store and queue,
  // under the repository's vitest (linked in, as the user's own would be): the suites must register with
  // that runner, not with a copy of their own.
  symlinkSync(join(root, 'node_modules', 'vitest'), join(consumer, 'node_modules', 'vitest'), 'dir')
  writeFileSync(
    join(consumer, 'conformance.test.mjs'),
    `import { memoryQueue, memoryStore } from 'hookguard'
    import { describeQueueConformance, describeStoreConformance } from 'hookguard/conformance'
    describeStoreConformance('memoryStore from the tarball', { make: () => memoryStore() })
    describeQueueConformance('memoryQueue from the tarball', {
      make: (hooks) => memoryQueue({ attempts: 3, backoffMs: 10, maxBackoffMs: 50, logger: false, ...hooks }),
    })`,
  )
  run('node', [join(consumer, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'conformance.test.mjs'], consumer)
  // The bin from the tarball: a version, and a signed request printed as headers and a curl command.
  const version = capture('npx', ['--no-install', 'hookguard', '--version'], consumer).trim()
  if (!version.includes(packed[0].version)) throw new Error(`hookguard --version printed ${version}`)
  const signed = execFileSync(
    'npx',
    ['--no-install', 'hookguard', 'sign', '--provider', 'stripe', '--secret', 'env:S', '--fixture', 'stripe'],
    {
      cwd: consumer,
      encoding: 'utf8',
      env: { ...process.env, S: 'whsec_consumer_smoke_0123456789' },
    },
  )
  if (!/stripe-signature/i.test(signed) || !/curl /.test(signed) || signed.includes('whsec_consumer_smoke')) {
    throw new Error('hookguard sign did not print the signed headers and a curl command (or printed the secret)')
  }
  console.log(`bin ok: hookguard ${version}`)
  console.log('package check passed')
} finally {
  rmSync(work, { recursive: true, force: true })
}
