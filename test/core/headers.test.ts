import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { headersFromRaw, normalizeHeaders } from '../../src/internal/headers.js'

/** What headersFromRaw must give: lower-case names, a repeated name as an array in arrival order. */
function reference(raw: readonly string[]): Record<string, string | string[]> {
  const out = new Map<string, string | string[]>()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    const existing = out.get(name)
    if (existing === undefined) out.set(name, raw[i + 1]!)
    else if (Array.isArray(existing)) existing.push(raw[i + 1]!)
    else out.set(name, [existing, raw[i + 1]!])
  }
  // fromEntries defines own properties, so a header named __proto__ is a header here too.
  return Object.fromEntries(out)
}

const plain = (headers: object): Record<string, unknown> => ({ ...headers })

describe('headers from Node rawHeaders', () => {
  it('lower-cases names and keeps a repeated header as an array', () => {
    const headers = headersFromRaw(['Host', 'a.example', 'X-Sig', 'one', 'x-sig', 'two', 'Content-Type', 'text/plain'])
    expect(plain(headers)).toEqual({ host: 'a.example', 'x-sig': ['one', 'two'], 'content-type': 'text/plain' })
  })

  it('gives the same names whatever came before at the same positions (names are remembered by position)', () => {
    // Same raw names twice, then other names and other spellings at the same positions.
    const first = ['Host', 'h', 'X-Hub-Signature-256', 's', 'X-GitHub-Delivery', 'd']
    expect(plain(headersFromRaw(first))).toEqual(reference(first))
    expect(plain(headersFromRaw([...first]))).toEqual(reference(first))
    const other = ['HOST', 'h2', 'x-hub-signature', 's2', '__proto__', 'p', 'constructor', 'c']
    expect(plain(headersFromRaw(other))).toEqual(reference(other))
    expect(Object.getPrototypeOf(Object.getPrototypeOf(headersFromRaw(other)))).toBeNull()
    expect(plain(headersFromRaw(first))).toEqual(reference(first))
  })

  it('matches the reference for any sequence of requests, over more positions than it remembers', () => {
    const name = fc.constantFrom('Host', 'host', 'HOST', 'X-Sig', 'x-sig', 'Content-Type', 'Ünïcode', 'a', 'B')
    const request = fc
      .array(fc.tuple(name, fc.string({ maxLength: 4 })), { maxLength: 80 })
      .map((pairs) => pairs.flat())
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 6 }), (requests) => {
        for (const raw of requests) expect(plain(headersFromRaw(raw))).toEqual(reference(raw))
      }),
    )
  })

  it('agrees with normalizeHeaders on a record of the same headers', () => {
    const raw = ['Host', 'h', 'X-Sig', 'one', 'X-SIG', 'two']
    expect(plain(headersFromRaw(raw))).toEqual(plain(normalizeHeaders({ host: 'h', 'x-sig': ['one', 'two'] })))
  })
})
