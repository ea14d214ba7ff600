import { describe, expect, it } from 'vitest'
import { docusign } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import { headerTable, hmacBase64, refusesWeakSecrets, sha256Id, type HeaderCase } from './batch-b-support.js'
import { BACKENDS, configMessage, verifyCode } from './core-support.js'
import { run, runOne } from './hmac-support.js'

// Connect HMAC keys look like base64 of 32 bytes; DocuSign keys the HMAC with the key text itself.
const KEY_1 = 'tQ2b5Xq7Yb0pZ9m3Lk8Vw4Rf6Hs1Jd2Gc5Nb8Ma0Pe4='
const KEY_2 = 'Nf3Kd8Lq1Wz6Xc0Vb5Mn9As2Df7Gh4Jk1Lq8Wz3Xc6='
const ENVELOPE = '93be49ab-0000-4e7c-9e3a-3d1e2f3a4b5c'
const message = (event: string, retryCount = 0, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event,
    apiVersion: 'v2.1',
    uri: `/restapi/v2.1/accounts/acc1/envelopes/${ENVELOPE}`,
    retryCount,
    configurationId: 10418,
    generatedDateTime: '2023-11-14T22:13:20.1234567Z',
    data: { accountId: 'acc1', userId: 'u1', envelopeId: ENVELOPE, ...extra },
  })
const BODY = message('envelope-completed')

/** DocuSign's scheme, computed independently: base64 HMAC-SHA256 of the raw body, one header per key. */
const headersFor = (body: string, ...keys: string[]) => {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-authorization-digest': 'HMACSHA256' }
  keys.forEach((key, i) => (headers[`x-docusign-signature-${i + 1}`] = hmacBase64(key, body)))
  return headers
}

describe.each(BACKENDS)('docusign with %s', (_name, crypto) => {
  it('accepts a JSON SIM message; id from signed fields, type event; every signature header redacted', async () => {
    const r = await runOne(docusign({ secret: KEY_1, crypto }), { headers: headersFor(BODY, KEY_1, KEY_2), body: BODY })
    expect(r.result.status).toBe(200)
    expect(r.enqueued[0]).toMatchObject({
      id: `${ENVELOPE}:envelope-completed::2023-11-14T22:13:20.1234567Z`,
      type: 'envelope-completed',
      provider: 'docusign',
    })
    expect(r.enqueued[0]!.headers['x-docusign-signature-1']).toBe('[redacted]')
    expect(r.enqueued[0]!.headers['x-docusign-signature-2']).toBe('[redacted]')
  })

  it('any key matching any signature passes: several keys on the account, one configured here, in any slot', async () => {
    const body = BODY
    expect(
      await verifyCode(docusign({ secret: KEY_2, crypto }), { headers: headersFor(body, KEY_1, KEY_2), body }),
    ).toBe('ok')
    expect(
      await verifyCode(docusign({ secret: [KEY_2, KEY_1], crypto }), { headers: headersFor(body, KEY_1), body }),
    ).toBe('ok')
    const slot57 = { 'content-type': 'application/json', 'x-docusign-signature-57': hmacBase64(KEY_1, body) }
    expect(await verifyCode(docusign({ secret: KEY_1, crypto }), { headers: slot57, body })).toBe('ok')
    expect(await verifyCode(docusign({ secret: KEY_1, crypto }), { headers: headersFor(body, KEY_2), body })).toBe(
      'signature.invalid',
    )
  })

  it('a retry (retryCount grown, so other bytes) is a duplicate by its id; another event is not', async () => {
    const retry = message('envelope-completed', 1)
    const recipient = message('recipient-completed', 0, { recipientId: '1' })
    const runs = await run(docusign({ secret: KEY_1, crypto }), [
      { headers: headersFor(BODY, KEY_1), body: BODY },
      { headers: headersFor(retry, KEY_1), body: retry },
      { headers: headersFor(recipient, KEY_1), body: recipient },
    ])
    expect(runs.map((r) => r.code)).toEqual(['accepted', 'duplicate', 'accepted'])
    expect(runs[2]!.enqueued[1]!.id).toBe(`${ENVELOPE}:recipient-completed:1:2023-11-14T22:13:20.1234567Z`)
  })

  it('legacy XML messages verify too; payload is the text, id the body hash', async () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?><DocuSignEnvelopeInformation><EnvelopeStatus><EnvelopeID>${ENVELOPE}</EnvelopeID><Status>Completed</Status></EnvelopeStatus></DocuSignEnvelopeInformation>`
    const headers = { ...headersFor(xml, KEY_1), 'content-type': 'text/xml; charset=utf-8' }
    const r = await runOne(docusign({ secret: KEY_1, crypto }), { headers, body: xml })
    expect(r.enqueued[0]).toMatchObject({ id: sha256Id(xml), payload: xml })
  })

  it('refuses a changed body; signRequest writes one header per configured key', async () => {
    const provider = docusign({ secret: [KEY_1, KEY_2], crypto })
    expect(
      await verifyCode(provider, { headers: headersFor(BODY, KEY_1), body: BODY.replace('completed', 'voided') }),
    ).toBe('signature.invalid')
    const signed = await signRequest(provider, { body: BODY })
    expect(signed.headers).toMatchObject({
      'x-docusign-signature-1': hmacBase64(KEY_1, BODY),
      'x-docusign-signature-2': hmacBase64(KEY_2, BODY),
    })
  })
})

describe('docusign: signature headers', () => {
  const mac = hmacBase64(KEY_1, BODY)
  const cases: HeaderCase[] = [
    ['no signature header', 401, 'signature.missing', { 'content-type': 'application/json' }],
    ['only blank ones', 401, 'signature.missing', { 'x-docusign-signature-1': ' ' }],
    ['a signature in slot 101 only (past the 100 keys)', 401, 'signature.missing', { 'x-docusign-signature-101': mac }],
    ['unpadded base64', 400, 'signature.malformed', { 'x-docusign-signature-1': mac.replace(/=+$/, '') }],
    ['hex', 400, 'signature.malformed', { 'x-docusign-signature-1': Buffer.from(mac, 'base64').toString('hex') }],
    [
      'a malformed second beside a valid first',
      400,
      'signature.malformed',
      { 'x-docusign-signature-1': mac, 'x-docusign-signature-2': 'zz' },
    ],
    ['the header twice', 400, 'header.duplicated', { 'x-docusign-signature-1': [mac, mac] }],
    ['a MAC under another key', 401, 'signature.invalid', { 'x-docusign-signature-1': hmacBase64(KEY_2, BODY) }],
  ]
  headerTable(() => docusign({ secret: KEY_1 }), BODY, cases, [KEY_1, mac])

  it('lists all 100 signature headers as sensitive', () => {
    const names = docusign({ secret: KEY_1 }).sensitiveHeaders
    expect([names.length, names[0], names[99]]).toEqual([100, 'x-docusign-signature-1', 'x-docusign-signature-100'])
  })
})

describe('docusign: configuration', () => {
  refusesWeakSecrets('docusign', (secret) => docusign({ secret } as never))

  it('refuses a tolerance', () => {
    expect(configMessage(() => docusign({ secret: KEY_1, tolerance: 60 } as never))).toMatch(/signs no timestamp/)
  })
})
