import { forgedRows } from './forged.js'
import { FIXTURES } from '../../test/support/providers.js'
const keep = FIXTURES.filter((f) => f.name === 'mailgun')
FIXTURES.splice(0, FIXTURES.length, ...keep)
const rows = await forgedRows({ warmupMs: 50, roundMs: 150, rounds: 3 })
for (const r of rows) console.log(r.provider.padEnd(22), r.valid.toFixed(0).padStart(6), r.forged.toFixed(0).padStart(7), (r.valid / r.forged).toFixed(2))
