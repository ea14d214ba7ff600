/**
 * detectServerless() against each platform's documented variables and
 * globals, and the once-only warning the receiver raises when the memory
 * queue would run a handler there.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  detectServerless,
  markKeptAlive,
  SERVERLESS_QUEUE_WARNING,
  serverlessQueueWarning,
  type ServerlessRuntimeInfo,
} from '../../src/internal/serverless.js'
import { capturingLogger } from '../support/log.js'

const env = (vars: Record<string, string>) => (name: string) => vars[name]

describe('detectServerless', () => {
  afterEach(() => vi.unstubAllEnvs())

  it.each([
    ['Vercel', { VERCEL: '1', AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'iad1' }, {}, 'vercel', 'VERCEL=1'],
    ['Vercel Edge / Next.js edge runtime', {}, { EdgeRuntime: 'edge-runtime' }, 'vercel', 'EdgeRuntime'],
    ['Netlify Functions v2', {}, { Netlify: { env: {} } }, 'netlify', 'Netlify global'],
    [
      'Netlify Functions (Lambda-based, runtime variables only)',
      { SITE_ID: 'abc', SITE_NAME: 'petsof', URL: 'https://petsof.netlify.app', AWS_LAMBDA_FUNCTION_NAME: 'fn' },
      {},
      'netlify',
      'SITE_ID with AWS_LAMBDA_FUNCTION_NAME',
    ],
    [
      'AWS Lambda',
      { AWS_LAMBDA_FUNCTION_NAME: 'webhooks', AWS_REGION: 'eu-west-1' },
      {},
      'aws-lambda',
      'AWS_LAMBDA_FUNCTION_NAME',
    ],
    [
      'AWS Lambda (execution env only)',
      { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x' },
      {},
      'aws-lambda',
      'AWS_EXECUTION_ENV',
    ],
    [
      'Cloudflare Workers',
      {},
      { navigator: { userAgent: 'Cloudflare-Workers' } },
      'cloudflare-workers',
      'navigator.userAgent',
    ],
    [
      'Deno Deploy',
      { DENO_DEPLOYMENT_ID: 'abc123', DENO_REGION: 'gcp-europe-west3' },
      {},
      'deno-deploy',
      'DENO_DEPLOYMENT_ID',
    ],
  ] as Array<[string, Record<string, string>, object, string, string]>)(
    '%s',
    (_name, vars, global, runtime, evidence) => {
      expect(detectServerless({ env: env(vars), global })).toEqual({ runtime, evidence })
    },
  )

  it('says nothing for a long-lived server, a plain Node or Bun process, or lookalike values', () => {
    expect(detectServerless({ env: env({}), global: {} })).toBeUndefined()
    expect(detectServerless({ env: env({ NODE_ENV: 'production', PORT: '3000' }), global: {} })).toBeUndefined()
    expect(detectServerless({ env: env({ VERCEL: '0', SITE_ID: 'x' }), global: {} })).toBeUndefined()
    expect(detectServerless({ env: env({}), global: { navigator: { userAgent: 'Node.js/20' } } })).toBeUndefined()
    expect(detectServerless({ env: env({ AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' }), global: {} })).toBeUndefined()
  })

  it('reads process.env by default, and Deno.env where there is no process (never throwing without permission)', () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'from-process-env')
    expect(detectServerless()?.runtime).toBe('aws-lambda')
    const deno = { Deno: { env: { get: (name: string) => (name === 'DENO_DEPLOYMENT_ID' ? 'dpl' : undefined) } } }
    expect(detectServerless({ global: deno })?.runtime).toBe('deno-deploy')
    const denied = {
      Deno: {
        env: {
          get: () => {
            throw new Error('PermissionDenied: Requires env access')
          },
        },
      },
    }
    expect(detectServerless({ global: denied })).toBeUndefined()
  })
})

describe('serverlessQueueWarning', () => {
  const vercel: ServerlessRuntimeInfo = { runtime: 'vercel', evidence: 'VERCEL=1' }

  it('warns once per process in a serverless runtime, naming the runtime and the fixes', () => {
    const lines: string[] = []
    const warn = serverlessQueueWarning(() => vercel)
    const logger = capturingLogger(lines)
    expect(warn(logger, {})).toBe(true)
    expect(warn(logger, {})).toBe(false)
    expect(lines).toEqual([`${SERVERLESS_QUEUE_WARNING} runtime=vercel evidence=VERCEL=1`])
    expect(SERVERLESS_QUEUE_WARNING).toMatch(/inline.*waitUntil.*durable queue/s)
  })

  it('stays silent on a long-lived server and for a queue an adapter keeps alive', () => {
    const lines: string[] = []
    let detections = 0
    const quiet = serverlessQueueWarning(() => (detections++, undefined))
    quiet(capturingLogger(lines), {})
    quiet(capturingLogger(lines), {})
    expect(detections).toBe(1)
    const kept = {}
    markKeptAlive(kept)
    const warn = serverlessQueueWarning(() => vercel)
    expect(warn(capturingLogger(lines), kept)).toBe(false)
    expect(lines).toEqual([])
    // Another queue in the same process that nobody keeps alive still gets the warning.
    expect(warn(capturingLogger(lines), {})).toBe(true)
  })
})
