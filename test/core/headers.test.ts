import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HeaderRedactor, headersFromRaw, normalizeHeaders, REDACTED } from '../../src/internal/headers.js'

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

describe('header redaction', () => {
  /** What redact must give: every value a string, each sensitive name's value replaced. */
  function expected(headers: Record<string, string | string[]>, sensitive: ReadonlySet<string>) {
    const names = Object.keys(headers)
    const decide = (name: string) =>
      sensitive.has(name) || /signature|token|secret|hmac|api-?key|password|credential|auth|-sig$|cookie/i.test(name)
    return Object.fromEntries(
      names.map((name) => {
        const value = headers[name]!
        return [name, decide(name) ? REDACTED : typeof value === 'string' ? value : value.join(', ')]
      }),
    )
  }

  it('decides each name on its own, whatever names came before at the same positions', () => {
    const sensitive = new Set(['x-custom-mac'])
    const redactor = new HeaderRedactor(sensitive)
    const name = fc.constantFrom('host', 'x-hub-signature-256', 'x-custom-mac', 'content-type', 'authorization', 'x-id')
    const request = fc.uniqueArray(fc.tuple(name, fc.string({ maxLength: 3 })), { selector: ([n]) => n, maxLength: 6 })
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 8 }), (requests) => {
        for (const pairs of requests) {
          // Names built anew each time, so the by-position check compares equal strings, not the same ones.
          const headers = normalizeHeaders(Object.fromEntries(pairs.map(([n, v]) => [n.split('').join(''), v])))
          expect(redactor.redact(headers)).toEqual(expected(plain(headers) as Record<string, string>, sensitive))
        }
      }),
    )
  })
})
