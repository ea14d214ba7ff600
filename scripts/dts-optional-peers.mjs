#!/usr/bin/env node
// After `tsup`: marks the type-only imports of optional peers in dist/*.d.(c)ts
// with `// @ts-ignore`, so a consumer without `stripe`, `@octokit/webhooks-types`
// or `@slack/types` installed still type-checks, even with skipLibCheck off (the
// payload type is then `any`). tsup's declaration bundler drops such comments
// from the sources, so they are added here. Idempotent.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

const PEERS = ['stripe', '@octokit/webhooks-types', '@slack/types']
const MARK = '// @ts-ignore optional peer (types only): without it installed, the payload type is any'
const dist = resolve(import.meta.dirname, '..', 'dist')
const importsPeer = (line) => /^import\b/.test(line) && PEERS.some((peer) => line.endsWith(` from '${peer}';`))

let marked = 0
for (const file of readdirSync(dist).filter((name) => /\.d\.c?ts$/.test(name))) {
  const lines = readFileSync(join(dist, file), 'utf8').split('\n')
  const out = lines.flatMap((line, i) =>
    importsPeer(line) && lines[i - 1] !== MARK ? (marked++, [MARK, line]) : [line],
  )
  if (out.length !== lines.length) writeFileSync(join(dist, file), out.join('\n'))
}
console.log(`dts-optional-peers: marked ${marked} import(s)`)
