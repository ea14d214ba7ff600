import { describe, expect, it } from 'vitest'
import * as express from '../../adapters/express.js'
import * as fastify from '../../adapters/fastify.js'
import * as fetch from '../../adapters/fetch.js'
import * as hono from '../../adapters/hono.js'
import * as koa from '../../adapters/koa.js'
import * as node from '../../adapters/node.js'
import { stripe } from '../../src/providers/index.js'

describe('adapter subpaths', () => {
  it('each exports the same factory name, hookguard', () => {
    expect(Object.keys(express)).toEqual(['hookguard'])
    expect(Object.keys(koa)).toEqual(['hookguard'])
    expect(Object.keys(hono)).toEqual(['hookguard'])
    expect(Object.keys(node)).toEqual(['hookguard'])
    expect(Object.keys(fetch)).toEqual(['hookguard'])
    expect(Object.keys(fastify)).toEqual(['hookguard'])
  })

  it('each names its middleware, so stack traces say what failed', () => {
    const options = { provider: stripe({ secret: 'whsec_test_exports_0123456789' }), logger: false as const }
    expect(express.hookguard(options).name).toBe('hookguardExpress')
    expect(koa.hookguard(options).name).toBe('hookguardKoa')
    expect(hono.hookguard(options).name).toBe('hookguardHono')
    expect(node.hookguard(options).name).toBe('hookguardNode')
    expect(fetch.hookguard(options).name).toBe('hookguardFetch')
    expect(fastify.hookguard(options, { path: '/hook' }).name).toBe('hookguardFastify')
  })
})
