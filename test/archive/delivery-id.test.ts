import { describe, expect, it } from 'vitest'
import { deliveryIdGenerator, deliveryIdTime, newDeliveryId } from '../../src/internal/delivery-id.js'

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/

describe('newDeliveryId', () => {
  it('is one process-wide generator: ids from anywhere in the process increase', () => {
    const a = newDeliveryId(Date.now())
    const b = newDeliveryId(Date.now() - 60_000)
    expect(b > a).toBe(true)
  })
})

describe('deliveryIdGenerator', () => {
  it('is 26 Crockford base32 characters whose time prefix decodes to the given ms', () => {
    const at = Date.UTC(2031, 4, 6, 7, 8, 9, 123)
    const id = deliveryIdGenerator()(at)
    expect(id).toMatch(CROCKFORD)
    expect(deliveryIdTime(id)).toBe(at)
  })

  it('encodes the ULID reference time 1469918176385 as 01ARYZ6S41', () => {
    // The example id of the ULID specification: 01ARYZ6S41TSV4RRFFQ69G5FAV.
    expect(deliveryIdGenerator()(1_469_918_176_385).slice(0, 10)).toBe('01ARYZ6S41')
  })

  it('sorts as plain strings in the order of the times it was given', () => {
    const newId = deliveryIdGenerator()
    const times = [0, 1, 31, 32, 1_000, 1_700_000_000_000, 1_700_000_000_001, 2 ** 42, 2 ** 48 - 1]
    const ids = times.map((t) => newId(t))
    expect([...ids].sort()).toEqual(ids)
    expect(ids.map((id) => deliveryIdTime(id))).toEqual(times)
  })

  it('increases strictly within one millisecond, in creation order', () => {
    const newId = deliveryIdGenerator()
    const at = 1_700_000_000_000
    const ids = Array.from({ length: 5000 }, () => newId(at))
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true)
    expect(new Set(ids.map((id) => deliveryIdTime(id)))).toEqual(new Set([at]))
  })

  it('keeps increasing when the clock steps back, keeping the later time', () => {
    const newId = deliveryIdGenerator()
    const later = 1_700_000_010_000
    const a = newId(later)
    const b = newId(later - 5_000)
    expect(b > a).toBe(true)
    expect(deliveryIdTime(b)).toBe(later)
  })

  it('floors fractional milliseconds (performance.now based clocks)', () => {
    const at = 1_700_000_020_000.75
    expect(deliveryIdTime(deliveryIdGenerator()(at))).toBe(Math.floor(at))
  })

  it('makes 1,000,000 distinct ids that come out sorted, over a real clock', () => {
    const newId = deliveryIdGenerator()
    const ids = new Array<string>(1_000_000)
    for (let i = 0; i < ids.length; i++) ids[i] = newId(Date.now())
    expect(new Set(ids).size).toBe(ids.length)
    for (let i = 1; i < ids.length; i++) if (!(ids[i]! > ids[i - 1]!)) throw new Error(`not increasing at ${i}`)
  })

  it('puts real randomness after the time: ids of different milliseconds do not share their random part', () => {
    const newId = deliveryIdGenerator()
    const a = newId(1_700_000_030_000).slice(10)
    const b = newId(1_700_000_030_001).slice(10)
    expect(a).not.toBe(b)
    // 16 random digits: an increment would leave the first 12 equal.
    expect(a.slice(0, 12)).not.toBe(b.slice(0, 12))
  })

  it('refuses times that are not ms since the epoch', () => {
    for (const bad of [-1, Number.NaN, Infinity, 2 ** 48]) expect(() => deliveryIdGenerator()(bad)).toThrow(RangeError)
  })
})

describe('deliveryIdTime', () => {
  it('parses only canonical ids', () => {
    const id = deliveryIdGenerator()(1_700_000_000_000)
    expect(deliveryIdTime(id)).toBe(1_700_000_000_000)
    const bad: unknown[] = [
      undefined,
      null,
      42,
      '',
      id.slice(1), // 25 characters
      `${id}0`, // 27
      id.toLowerCase(), // lower case is not canonical
      `8${id.slice(1)}`, // beyond 48 bits
      `${id.slice(0, 20)}I${id.slice(21)}`, // I, L, O, U are not Crockford digits
      `${id.slice(0, 20)}U${id.slice(21)}`,
      `${id.slice(0, 20)}-${id.slice(21)}`,
      ` ${id.slice(1)}`,
    ]
    for (const value of bad) expect(deliveryIdTime(value)).toBeUndefined()
  })

  it('decodes the largest time', () => {
    expect(deliveryIdTime('7ZZZZZZZZZ0000000000000000')).toBe(2 ** 48 - 1)
    expect(deliveryIdTime('00000000000000000000000000')).toBe(0)
  })
})
