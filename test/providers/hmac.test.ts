import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { hmac, type HmacOptions, type WebhookEvent } from '../../src/index.js'
import { signRequest } from '../../src/testing.js'
import {
  BACKENDS,
  configMessage,
  handle,
  NOW_MS,
  NOW_S,
  statusOf,
  testReceiver,
  verify,
  verifyCode,
} from './core-support.js'

const SECRET = 'in-house-secret-0123456789'
const OTHER_SECRET = 'in-house-secret-rotated-42'
const BODY = JSON.stringify({ event_id: 'ord_981', kind: 'order.created', total: 1999, note: 'naïve façade 🧾' })

/** What an in-house sender does: node:crypto over the exact bytes. */
function mac(
  secret: string | Buffer,
  content: string,
  algorithm = 'sha256',
  encoding: 'hex' | 'base64' = 'hex',
): string {
  return createHmac(algorithm, secret).update(content).digest(encoding)
}

/** A receiver that records the delivered event. */
async function deliver(options: HmacOptions, headers: Record<string, string | string[]>, body = BODY) {
  let event: WebhookEvent | undefined
  const receiver = testReceiver(hmac(options))
  const result = await receiver.handle({ method: 'POST', headers, body }, { deliver: (e) => ((event = e), true) })
  return {
    status: result.status,
    code: result.outcome.kind === 'rejected' ? result.outcome.code : result.outcome.kind,
    event,
  }
}

describe.each(BACKENDS)('hmac with %s', (_name, crypto) => {
  it('defaults: SHA-256, hex, no prefix, body only; the id falls back to the body hash', async () => {
    const options = { secret: SECRET, signatureHeader: 'X-Signature', crypto }
    const result = await deliver(options, { 'x-signature': mac(SECRET, BODY) })
    expect(result.status).toBe(200)
    expect(result.event?.id).toBe('sha256:' + createHash('sha256').update(BODY).digest('hex'))
    expect(result.event?.timestamp).toBeUndefined()
    expect(hmac(options).tolerance).toBeUndefined()
  })

  it('the body-hash id dedupes an exact resend and not an edited body', async () => {
    const receiver = testReceiver(hmac({ secret: SECRET, signatureHeader: 'X-Signature', crypto }))
    const send = (body: string) =>
      receiver.handle({ method: 'POST', headers: { 'x-signature': mac(SECRET, body) }, body }, { deliver: () => true })
    expect((await send(BODY)).outcome.kind).toBe('accepted')
    expect((await send(BODY)).outcome.kind).toBe('duplicate')
    expect((await send(BODY + ' ')).outcome.kind).toBe('accepted')
  })

  it('base64 with a prefix, SHA-512 and a base64 secret', async () => {
    const key = Buffer.from('0123456789abcdef0123456789abcdef')
    const options: HmacOptions = {
      secret: key.toString('base64'),
      secretEncoding: 'base64',
      algorithm: 'sha512',
      encoding: 'base64',
      prefix: 'v1=',
      signatureHeader: 'X-Sig',
      crypto,
    }
    expect((await deliver(options, { 'X-Sig': 'v1=' + mac(key, BODY, 'sha512', 'base64') })).status).toBe(200)
    // The same MAC in hex is not base64: malformed, not guessed at.
    expect((await deliver(options, { 'X-Sig': 'v1=' + mac(key, BODY, 'sha512', 'hex') })).code).toBe(
      'signature.invalid',
    )
    expect((await deliver(options, { 'X-Sig': mac(key, BODY, 'sha512', 'base64') })).code).toBe('signature.malformed')
  })

  it('a hex secret is decoded to its bytes', async () => {
    const keyHex = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'
    const options: HmacOptions = { secret: keyHex, secretEncoding: 'hex', signatureHeader: 'X-Sig', crypto }
    expect((await deliver(options, { 'X-Sig': mac(Buffer.from(keyHex, 'hex'), BODY) })).status).toBe(200)
    expect((await deliver(options, { 'X-Sig': mac(keyHex, BODY) })).code).toBe('signature.invalid')
  })

  it('the algorithm comes from the configuration only', async () => {
    const options: HmacOptions = { secret: SECRET, signatureHeader: 'X-Sig', prefix: 'sha256=', crypto }
    // A request that announces SHA-1 (or sends a SHA-1 / SHA-512 MAC) is not verified with SHA-1 / SHA-512.
    expect((await deliver(options, { 'X-Sig': 'sha1=' + mac(SECRET, BODY, 'sha1') })).code).toBe('signature.malformed')
    expect((await deliver(options, { 'X-Sig': 'sha256=' + mac(SECRET, BODY, 'sha1') })).code).toBe('signature.invalid')
    expect((await deliver(options, { 'X-Sig': 'sha256=' + mac(SECRET, BODY, 'sha512') })).code).toBe(
      'signature.invalid',
    )
    // SHA-1 works only when you choose it.
    expect(
      (
        await deliver(
          { ...options, algorithm: 'sha1', prefix: 'sha1=' },
          { 'X-Sig': 'sha1=' + mac(SECRET, BODY, 'sha1') },
        )
      ).status,
    ).toBe(200)
  })

  it('timestamp header + signedContent template with {id}: accepted, and tampering with either is 401', async () => {
    const options: HmacOptions = {
      secret: SECRET,
      signatureHeader: 'X-Sig',
      timestampHeader: 'X-Ts',
      idHeader: 'X-Id',
      typeHeader: 'X-Type',
      signedContent: '{id}:{timestamp}:{body}',
      crypto,
    }
    const sig = mac(SECRET, `evt_7:${NOW_S}:${BODY}`)
    const ok = await deliver(options, {
      'X-Sig': sig,
      'X-Ts': String(NOW_S),
      'X-Id': 'evt_7',
      'X-Type': 'order.created',
    })
    expect(ok.status).toBe(200)
    expect(ok.event).toMatchObject({ id: 'evt_7', type: 'order.created', timestamp: NOW_S })
    expect((await deliver(options, { 'X-Sig': sig, 'X-Ts': String(NOW_S), 'X-Id': 'evt_8' })).code).toBe(
      'signature.invalid',
    )
    expect((await deliver(options, { 'X-Sig': sig, 'X-Ts': String(NOW_S + 1), 'X-Id': 'evt_7' })).code).toBe(
      'signature.invalid',
    )
    expect((await deliver(options, { 'X-Sig': sig, 'X-Ts': String(NOW_S) })).code).toBe('id.missing')
  })

  it('the default layout with a timestamp header is {timestamp}.{body}; tolerance applies both ways', async () => {
    const options: HmacOptions = {
      secret: SECRET,
      signatureHeader: 'X-Sig',
      timestampHeader: 'X-Ts',
      tolerance: 30,
      idField: 'event_id',
      crypto,
    }
    const at = (t: number) => ({ 'X-Sig': mac(SECRET, `${t}.${BODY}`), 'X-Ts': String(t) })
    for (const [offset, expected] of [
      [-29, 'ok'],
      [29, 'ok'],
      [-31, 'timestamp.out_of_range'],
      [31, 'timestamp.out_of_range'],
    ] as const) {
      expect([offset, await verifyCode(hmac(options), { headers: at(NOW_S + offset), body: BODY })]).toEqual([
        offset,
        expected,
      ])
    }
    expect(hmac({ ...options, tolerance: undefined }).tolerance).toBe(300)
    const skipping = hmac({ ...options, tolerance: undefined, skipTimestampCheck: true })
    expect(await verifyCode(skipping, { headers: at(NOW_S - 86400), body: BODY })).toBe('ok')
  })

  it('idField reads the id from the body; a body without it is 400 id.missing', async () => {
    const options: HmacOptions = {
      secret: SECRET,
      signatureHeader: 'X-Sig',
      idField: 'event_id',
      typeField: 'kind',
      crypto,
    }
    const ok = await deliver(options, { 'X-Sig': mac(SECRET, BODY) })
    expect(ok.event).toMatchObject({ id: 'ord_981', type: 'order.created' })
    const numeric = JSON.stringify({ event_id: 981 })
    expect((await deliver(options, { 'X-Sig': mac(SECRET, numeric) }, numeric)).event?.id).toBe('981')
    const noId = JSON.stringify({ kind: 'order.created' })
    expect(await deliver(options, { 'X-Sig': mac(SECRET, noId) }, noId)).toMatchObject({
      status: 400,
      code: 'id.missing',
    })
  })

  it('idHeader wins over idField; a configured idHeader that is absent is 400 id.missing', async () => {
    const options: HmacOptions = { secret: SECRET, signatureHeader: 'X-Sig', idHeader: 'X-Id', crypto }
    expect(
      (await deliver({ ...options, idField: 'event_id' }, { 'X-Sig': mac(SECRET, BODY), 'X-Id': 'hdr_1' })).event?.id,
    ).toBe('hdr_1')
    expect((await deliver({ ...options, idField: 'event_id' }, { 'X-Sig': mac(SECRET, BODY) })).event?.id).toBe(
      'ord_981',
    )
    expect(await deliver(options, { 'X-Sig': mac(SECRET, BODY) })).toMatchObject({ status: 400, code: 'id.missing' })
  })

  it('rotation: a list of secrets, and several signatures in one header with a separator', async () => {
    const both: HmacOptions = { secret: [SECRET, OTHER_SECRET], signatureHeader: 'X-Sig', crypto }
    expect((await deliver(both, { 'X-Sig': mac(OTHER_SECRET, BODY) })).status).toBe(200)
    expect((await deliver({ ...both, secret: SECRET }, { 'X-Sig': mac(OTHER_SECRET, BODY) })).code).toBe(
      'signature.invalid',
    )
    const separated: HmacOptions = {
      secret: SECRET,
      signatureHeader: 'X-Sig',
      prefix: 'sha256=',
      separator: ',',
      crypto,
    }
    const header = `sha256=${mac(OTHER_SECRET, BODY)},sha256=${mac(SECRET, BODY)}`
    expect((await deliver(separated, { 'X-Sig': header })).status).toBe(200)
    // Without a separator the header is one signature: two of them is malformed, not a list.
    expect((await deliver({ ...separated, separator: undefined }, { 'X-Sig': header })).code).toBe(
      'signature.malformed',
    )
  })

  it('signRequest output verifies with a bare node:crypto HMAC over the same layout', async () => {
    const provider = hmac({
      secret: SECRET,
      signatureHeader: 'X-Sig',
      prefix: 'sha256=',
      timestampHeader: 'X-Ts',
      idHeader: 'X-Id',
      signedContent: '{timestamp}|{id}|{body}',
      crypto,
    })
    const signed = await signRequest(provider, { body: BODY, id: 'evt_x', timestamp: NOW_S })
    expect(signed.headers['x-sig']).toBe('sha256=' + mac(SECRET, `${NOW_S}|evt_x|${BODY}`))
    expect(await verify(provider, signed)).toEqual({ id: 'evt_x', timestamp: NOW_S, type: undefined })
  })
})

describe('hmac: configuration', () => {
  const base = { secret: SECRET, signatureHeader: 'X-Signature' }
  it.each([
    ['no signatureHeader', { signatureHeader: undefined }, /signatureHeader is required/],
    [
      'a signatureHeader that is not a header name',
      { signatureHeader: 'X Signature' },
      /signatureHeader must be a header name/,
    ],
    ['algorithm md5', { algorithm: 'md5' }, /algorithm must be/],
    ['algorithm SHA256 (spelling is exact)', { algorithm: 'SHA256' }, /algorithm must be/],
    ['encoding base32', { encoding: 'base32' }, /encoding must be 'hex' or 'base64'/],
    ['secretEncoding latin1', { secretEncoding: 'latin1' }, /secretEncoding must be/],
    [
      'a secret that is not the declared hex',
      { secretEncoding: 'hex', secret: 'not-hex-at-all-0123456789' },
      /secret is not valid hex/,
    ],
    ['a non-string prefix', { prefix: 5 }, /prefix must be a string/],
    ['an empty separator', { separator: '' }, /separator must be a non-empty string/],
    ['a separator inside the prefix', { prefix: 'sha256=', separator: '=' }, /separator must not occur/],
    ['a separator from the base64 alphabet', { encoding: 'base64', separator: '+' }, /separator must not occur/],
    [
      'signedContent without {body}',
      { signedContent: '{timestamp}', timestampHeader: 'X-Ts' },
      /\{body\} exactly once/,
    ],
    ['signedContent with {body} twice', { signedContent: '{body}.{body}' }, /\{body\} exactly once/],
    ['a non-string signedContent', { signedContent: 42 }, /signedContent must be a string/],
    ['{timestamp} without timestampHeader', { signedContent: '{timestamp}.{body}' }, /no timestampHeader/],
    ['{id} without idHeader', { signedContent: '{id}.{body}' }, /no idHeader/],
    [
      'a timestampHeader the signature does not cover',
      { timestampHeader: 'X-Ts', signedContent: '{body}' },
      /must contain \{timestamp\}/,
    ],
    ['tolerance without timestampHeader', { tolerance: 60 }, /tolerance needs a timestampHeader/],
    ['tolerance 0', { timestampHeader: 'X-Ts', tolerance: 0 }, /skipTimestampCheck/],
    ['tolerance NaN', { timestampHeader: 'X-Ts', tolerance: Number.NaN }, /tolerance must be a finite number/],
    ['tolerance -1', { timestampHeader: 'X-Ts', tolerance: -1 }, /tolerance must be a finite number/],
    [
      'tolerance Infinity',
      { timestampHeader: 'X-Ts', tolerance: Number.POSITIVE_INFINITY },
      /tolerance must be a finite number/,
    ],
    ['a non-string idField', { idField: 3 }, /idField must be a non-empty string/],
    ['a non-string typeField', { typeField: {} }, /typeField must be a non-empty string/],
    ['a name unusable in dedupe keys', { name: 'My Sender' }, /provider name must match/],
  ])('refuses %s with a TypeError that says what to fix', (_title, extra, message) => {
    expect(configMessage(() => hmac({ ...base, ...extra } as never))).toMatch(message)
  })

  it.each([
    ['an empty string', ''],
    ['whitespace only', '  '],
    ['a leading tab', `\t${SECRET}`],
    ['a placeholder', 'secret'],
    ['a secret under 16 bytes', 'fifteen-bytes!!'],
    ['a non-string', 42],
    ['null', null],
  ])('refuses %s as the secret without echoing it', (_title, secret) => {
    const message = configMessage(() => hmac({ ...base, secret: secret as never }))
    expect(message).toMatch(/^hookguard: hmac: secret/)
    if (typeof secret === 'string' && secret.trim().length > 6) expect(message).not.toContain(secret.trim())
  })
})

describe('hmac: signature and timestamp header parsing', () => {
  const options: HmacOptions = {
    secret: SECRET,
    signatureHeader: 'X-Signature',
    prefix: 'sha256=',
    timestampHeader: 'X-Timestamp',
    idHeader: 'X-Event-Id',
  }
  const provider = hmac(options)
  const sig = 'sha256=' + mac(SECRET, `${NOW_S}.${BODY}`)
  const good = { 'X-Signature': sig, 'X-Timestamp': String(NOW_S), 'X-Event-Id': 'evt_1' }
  const cases: Array<[string, number, string, Record<string, string | string[]>]> = [
    ['a valid request', 200, 'accepted', good],
    ['no signature', 401, 'signature.missing', { ...good, 'X-Signature': '' }],
    ['a missing prefix', 400, 'signature.malformed', { ...good, 'X-Signature': sig.slice(7) }],
    ['a truncated signature', 401, 'signature.invalid', { ...good, 'X-Signature': sig.slice(0, 39) }],
    ['an odd-length signature', 400, 'signature.malformed', { ...good, 'X-Signature': sig.slice(0, 40) }],
    ['a 100 KB signature', 401, 'signature.invalid', { ...good, 'X-Signature': 'sha256=' + 'cd'.repeat(50_000) }],
    ['multibyte characters', 400, 'signature.malformed', { ...good, 'X-Signature': 'sha256=ü€😀' }],
    ['the header twice (array value)', 400, 'header.duplicated', { ...good, 'X-Signature': [sig, sig] }],
    ['the header under two spellings', 400, 'header.duplicated', { ...good, 'x-signature': sig }],
    ['no timestamp', 401, 'timestamp.missing', { 'X-Signature': sig, 'X-Event-Id': 'evt_1' }],
    ['a timestamp with letters', 400, 'timestamp.malformed', { ...good, 'X-Timestamp': `${NOW_S}abc` }],
    ['a timestamp with a sign', 400, 'timestamp.malformed', { ...good, 'X-Timestamp': `+${NOW_S}` }],
    ['a decimal timestamp', 400, 'timestamp.malformed', { ...good, 'X-Timestamp': `${NOW_S}.0` }],
    ['a timestamp with spaces', 400, 'timestamp.malformed', { ...good, 'X-Timestamp': ` ${NOW_S} ` }],
    ['a timestamp in milliseconds', 400, 'timestamp.malformed', { ...good, 'X-Timestamp': String(NOW_MS) }],
    ['a timestamp with an exponent', 400, 'timestamp.malformed', { ...good, 'X-Timestamp': '1.7e9' }],
    ['a timestamp with a leading zero', 401, 'signature.invalid', { ...good, 'X-Timestamp': `0${NOW_S}` }],
    ['a far-future timestamp', 401, 'timestamp.out_of_range', { ...good, 'X-Timestamp': '999999999999' }],
    ['two timestamps', 400, 'header.duplicated', { ...good, 'X-Timestamp': [String(NOW_S), String(NOW_S)] }],
  ]
  it.each(cases)('answers %s with %i %s', async (_title, status, code, headers) => {
    expect(await statusOf(provider, { headers, body: BODY })).toEqual({ status, code })
  })

  it('keeps 401 bodies identical and free of the signature', async () => {
    const results = await Promise.all(
      cases.filter((c) => c[1] === 401).map(([, , , headers]) => handle(provider, { headers, body: BODY })),
    )
    for (const result of results) {
      expect(result.body).toBe(results[0]!.body)
      expect(result.body + JSON.stringify(result.headers)).not.toContain(sig.slice(7, 27))
    }
  })
})
