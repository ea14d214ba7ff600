#!/usr/bin/env node
// Type-checks a throwaway consumer of the built declarations (run `npm run build`
// first) WITHOUT the optional type peers (stripe, @octokit/webhooks-types,
// @slack/types), with skipLibCheck off and on: both must pass, and the payload
// types then fall back to `any`. vitest is absent too: hookguard/conformance's
// declarations must not need it (only its runtime imports vitest).
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const work = mkdtempSync(join(tmpdir(), 'hookguard-peer-types-'))
try {
  const pkg = join(work, 'node_modules', 'hookguard')
  mkdirSync(pkg, { recursive: true })
  cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true })
  cpSync(join(root, 'package.json'), join(pkg, 'package.json'))
  for (const types of ['@types/node', 'undici-types'])
    cpSync(join(root, 'node_modules', types), join(work, 'node_modules', types), { recursive: true })
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  writeFileSync(
    join(work, 'index.ts'),
    [
      "import { createReceiver, github, hmac, slack, stripe, type Provider } from 'hookguard'",
      "const generic: Provider<unknown> = hmac({ secret: 'in-house-secret-0123456789', signatureHeader: 'x-sig' })",
      "const receiver = createReceiver({ provider: stripe({ secret: 'whsec_test_0123456789abcdef' }) })",
      "export const providers = [generic, github({ secret: 'github-secret' }), slack({ secret: 'slack-signing-secret' })]",
      'export { receiver }',
      "export { describeQueueConformance, describeStoreConformance } from 'hookguard/conformance'",
      "export type { QueueConformanceOptions, StoreConformanceOptions } from 'hookguard/conformance'",
    ].join('\n'),
  )
  for (const skipLibCheck of [false, true]) {
    const compilerOptions = {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      noEmit: true,
      skipLibCheck,
    }
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['index.ts'] }))
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', work], { stdio: 'inherit' })
    console.log(`consumer without optional type peers type-checks (skipLibCheck: ${skipLibCheck})`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
