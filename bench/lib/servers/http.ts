/**
 * The servers of `bench:http`: one framework, one kind (bare, inline HMAC or
 * the hookguard adapter with the GitHub provider, memory store and
 * memoryQueue whose handler only counts).
 */
import { FRAMEWORKS, type FrameworkName } from '../apps/index.js'
import { GUARDED_FRAMEWORKS, type ServerKind } from '../apps/types.js'
import { droppingQueue, forgetfulStore } from '../ablation.js'
import { GITHUB_PATH, GITHUB_SECRET } from '../deliveries.js'
import { load } from '../dist.js'
import { counts } from '../guarded.js'
import type { BuiltServer } from './index.js'

export interface HttpServerOptions {
  framework: FrameworkName
  kind: ServerKind
}

export async function buildHttpServer({ framework, kind }: HttpServerOptions): Promise<BuiltServer> {
  const { github, memoryQueue, memoryStore } = await load('index')
  let handled = 0
  let handledAtMark = 0
  const queue = kind === 'hookguard-verify' || kind === 'hookguard-dedupe' ? droppingQueue() : memoryQueue()
  const receiver = {
    provider: github({ secret: GITHUB_SECRET }),
    store: kind === 'hookguard-verify' ? forgetfulStore() : memoryStore(),
    queue,
    handler: () => {
      handled++
    },
    logger: false as const,
  }
  if (kind === 'guarded' && !GUARDED_FRAMEWORKS.includes(framework))
    throw new Error(`bench: the guarantees-by-hand server exists for ${GUARDED_FRAMEWORKS.join(', ')} only`)
  const { createApp } = await FRAMEWORKS[framework].load()
  const appKind = kind === 'hookguard-verify' || kind === 'hookguard-dedupe' ? 'hookguard' : kind
  const listener = await createApp({ kind: appKind, path: GITHUB_PATH, secret: GITHUB_SECRET, receiver })
  if (kind === 'guarded') {
    let markedAt = 0
    return {
      listener,
      mark() {
        markedAt = counts.handled
      },
      stats: () => ({ handled: counts.handled - markedAt }),
    }
  }
  return {
    listener,
    // The previous phase's events finish first, so `handled` counts this phase's only.
    async mark() {
      await (queue as { idle?: () => Promise<void> }).idle?.()
      handledAtMark = handled
    },
    stats: () => ({ handled: handled - handledAtMark }),
  }
}
