import { createHmac, timingSafeEqual } from 'node:crypto'
import { normalizeHeaders } from './src/headers.js'
import { hmac } from './src/index.js'
import { signRequest } from './src/testing.js'
import { runCases } from './bench/verify/harness.js'
const S = 'in-house-bench-secret-0123456789'
const p = hmac({ secret: S, signatureHeader: 'X-Signature', prefix: 'sha256=', timestampHeader: 'X-Timestamp', idHeader: 'X-Event-Id' })
const bodyS = '{"a":"' + 'x'.repeat(65536) + '"}'
const body = new TextEncoder().encode(bodyS)
const s = await signRequest(p, { body, id: 'e', timestamp: 1700000000 })
const req = { method: 'POST', headers: normalizeHeaders(s.headers), body, now: 1700000000000 }
const exp = Buffer.from(s.headers['x-signature']!.slice(7), 'hex')
const r = await runCases({
  bare: () => timingSafeEqual(createHmac('sha256', S).update('1700000000.').update(body).digest(), exp),
  hookguard: () => p.verify(req),
}, { warmupMs: 300, roundMs: 250, rounds: 15 })
for (const [k, v] of Object.entries(r)) console.log(k.padEnd(16), (1e6 / v).toFixed(2), 'µs')
