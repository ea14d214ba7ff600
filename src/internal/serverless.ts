/**
 * Internal: is this process a serverless function? On Vercel, Netlify, AWS
 * Lambda, Cloudflare Workers and Deno Deploy the platform freezes or ends the
 * function once the response is sent, so work an in-process queue runs after
 * the 2xx may never finish. Detection reads only the variables and globals
 * those platforms document; it never throws.
 *
 * @module
 */
import type { Logger } from '../types/index.js'

/** A platform that may freeze or end the process once a response is sent. */
export type ServerlessRuntime = 'vercel' | 'netlify' | 'aws-lambda' | 'cloudflare-workers' | 'deno-deploy'

export interface ServerlessRuntimeInfo {
  runtime: ServerlessRuntime
  /** The variable or global that identified it, for the log line. */
  evidence: string
}

/** Where detection looks; the defaults are the real process environment and `globalThis`. */
export interface ServerlessProbe {
  /** Environment variable lookup. @default process.env, else Deno.env */
  env?: (name: string) => string | undefined
  /** @default globalThis */
  global?: object
}

type Globals = {
  process?: { env?: Record<string, string | undefined> }
  Deno?: { env?: { get?: (name: string) => string | undefined } }
  navigator?: { userAgent?: unknown }
  Netlify?: unknown
  EdgeRuntime?: unknown
}

function defaultEnv(global: Globals): (name: string) => string | undefined {
  return (name) => {
    try {
      const env = global.process?.env
      if (env) return env[name]
      // Deno without --allow-env throws here; undetected is the safe answer.
      return global.Deno?.env?.get?.(name)
    } catch {
      return undefined
    }
  }
}

const RULES: Array<
  [ServerlessRuntime, (env: (name: string) => string | undefined, global: Globals) => string | undefined]
> = [
  // Vercel first: its Node functions run on AWS Lambda and set Lambda's variables too.
  [
    'vercel',
    (env, g) => (env('VERCEL') === '1' ? 'VERCEL=1' : g.EdgeRuntime !== undefined ? 'EdgeRuntime' : undefined),
  ],
  // Netlify Functions also run on Lambda; the Netlify global exists in v2 functions and edge functions.
  [
    'netlify',
    (env, g) =>
      typeof g.Netlify === 'object' && g.Netlify !== null
        ? 'Netlify global'
        : env('NETLIFY') === 'true'
          ? 'NETLIFY=true'
          : env('SITE_ID') && env('SITE_NAME') && env('AWS_LAMBDA_FUNCTION_NAME')
            ? 'SITE_ID with AWS_LAMBDA_FUNCTION_NAME'
            : undefined,
  ],
  [
    'aws-lambda',
    (env) =>
      env('AWS_LAMBDA_FUNCTION_NAME')
        ? 'AWS_LAMBDA_FUNCTION_NAME'
        : env('AWS_EXECUTION_ENV')?.startsWith('AWS_Lambda_')
          ? 'AWS_EXECUTION_ENV'
          : undefined,
  ],
  [
    'cloudflare-workers',
    (_env, g) => (g.navigator?.userAgent === 'Cloudflare-Workers' ? 'navigator.userAgent' : undefined),
  ],
  ['deno-deploy', (env) => (env('DENO_DEPLOYMENT_ID') ? 'DENO_DEPLOYMENT_ID' : undefined)],
]

/** The serverless platform this process runs on, or undefined for a long-lived server (or an unknown platform). */
export function detectServerless(probe: ServerlessProbe = {}): ServerlessRuntimeInfo | undefined {
  const global = (probe.global ?? globalThis) as Globals
  const env = probe.env ?? defaultEnv(global)
  for (const [runtime, rule] of RULES) {
    let evidence: string | undefined
    try {
      evidence = rule(env, global)
    } catch {
      evidence = undefined
    }
    if (evidence) return { runtime, evidence }
  }
  return undefined
}

// Queues whose worker an adapter keeps alive past the response (a waitUntil was found for them).
const keptAlive = new WeakSet<object>()

/** Records that the platform is asked to keep `queue`'s in-process worker running after each response. */
export function markKeptAlive(queue: object): void {
  keptAlive.add(queue)
}

export function isKeptAlive(queue: object): boolean {
  return keptAlive.has(queue)
}

export const SERVERLESS_QUEUE_WARNING =
  'the in-memory queue runs handlers after the 2xx, but this serverless platform freezes or ends the function ' +
  'once the response is sent, so accepted events can be lost. Run the handler before the response ' +
  "(hookguard/fetch { inline: handler }), keep the worker alive (hookguard/fetch { waitUntil }, or Workers' ctx), " +
  'or use a durable queue whose worker runs elsewhere'

/**
 * A once-only warning: the returned function logs {@link SERVERLESS_QUEUE_WARNING}
 * the first time it is called for a queue that no adapter keeps alive, in a
 * detected serverless runtime, and is silent afterwards.
 */
export function serverlessQueueWarning(
  detect: () => ServerlessRuntimeInfo | undefined = () => detectServerless(),
): (logger: Logger, queue: object) => boolean {
  let done = false
  let detected: ServerlessRuntimeInfo | undefined | null = null
  return function warnServerlessQueue(logger, queue) {
    if (done) return false
    if (detected === null) detected = detect()
    // Detection first: off serverless (the common case) every later call ends here, without the WeakSet.
    if (!detected || isKeptAlive(queue)) return false
    done = true
    logger.warn({ runtime: detected.runtime, evidence: detected.evidence }, SERVERLESS_QUEUE_WARNING)
    return true
  }
}

/** The process-wide instance: call it where the in-process queue starts running a handler. */
export const warnServerlessQueueOnce = serverlessQueueWarning()
