import { createHmac, timingSafeEqual } from 'node:crypto'
import { matchHmac } from './src/providers/shared.js'
import { defaultCrypto, constantTimeEqual } from './src/crypto.js'
import { normalizeHeaders } from './src/headers.js'
import { github } from './src/index.js'
import { signRequest } from './src/testing.js'
import { runCases } from './bench/verify/harness.js'
const secret = "It's a Secret to Everybody"
const key = new Uint8Array(Buffer.from(secret))
const body = new TextEncoder().encode('{"a":"' + 'x'.repeat(2000) + '"}')
const exp = createHmac('sha256', key).update(body).digest()
const expU8 = new Uint8Array(exp)
const backend = defaultCrypto()
const p = github({ secret })
const s = await signRequest(p, { body, id: 'd1' })
const req = { method: 'POST', headers: normalizeHeaders(s.headers), body, now: 1 }
const r = await runCases({
  bare: () => timingSafeEqual(createHmac('sha256', secret).update(body).digest(), exp),
  backendHmacCmp: () => constantTimeEqual(backend.hmac('sha256', key, [body]) as Uint8Array, expU8),
  matchHmac: () => matchHmac(backend, 'sha256', [key], [body], [expU8]),
  githubVerify: () => p.verify(req),
}, { warmupMs: 300, roundMs: 250, rounds: 9 })
for (const [k, v] of Object.entries(r)) console.log(k.padEnd(16), (1e6 / v).toFixed(2), 'µs')
