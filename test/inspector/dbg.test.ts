import { it } from 'vitest'
import { memoryArchive } from '../../src/index.js'
import { hostileArchive } from './support/hostile.js'
it('dbg', async () => {
  const archive = memoryArchive({ rejectedBodies: true, maxBodyBytes: 2 * 1024 * 1024 })
  const data = await hostileArchive(archive)
  console.log('populated')
  const r = data.receiver.replay(data.ids.plain)
  const t = setTimeout(() => console.log('still waiting on replay'), 3000)
  const res = await r
  clearTimeout(t)
  console.log('replayed', res)
  const f = data.receiver.flushArchive()
  setTimeout(() => console.log('still flushing'), 3000)
  await f
  console.log('flushed')
}, 15000)
