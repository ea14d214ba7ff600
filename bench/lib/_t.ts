import { startServer } from './server.js'
for (const framework of ['node', 'express', 'koa', 'hono', 'node'] as const) {
  const t = performance.now()
  const s = await startServer({ server: 'http', options: { framework, kind: 'hookguard' } })
  const ready = performance.now() - t
  const t2 = performance.now()
  await s.stop()
  console.log(framework, 'ready', ready.toFixed(0), 'ms; stop', (performance.now() - t2).toFixed(0), 'ms')
}
