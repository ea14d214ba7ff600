/**
 * Prints the functions with the most self time in a .cpuprofile, with their
 * file:line (mapped to the sources for hookguard's build), hookguard's
 * functions with the code they call, and self time per area.
 *
 *   npx tsx bench/cpuprofile-top.ts .tmp/profiles/hono-hookguard.cpuprofile [--top 15]
 *
 * A profile written by bench:profile has a `.meta.json` beside it (the build
 * it ran and the measured window), used when present; otherwise the whole
 * profile is read against HOOKGUARD_DIST (default dist/).
 */
import { existsSync, readFileSync } from 'node:fs'
import { DIST } from './lib/dist.js'
import { printSummary, readProfile, summariseProfile, type SummaryOptions } from './lib/cpuprofile.js'

const file = process.argv[2]
if (!file) {
  console.error('usage: tsx bench/cpuprofile-top.ts <file.cpuprofile> [--top N]')
  process.exit(1)
}
const topAt = process.argv.indexOf('--top')
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 15
const metaFile = file.replace(/\.cpuprofile$/, '.meta.json')
type Meta = Partial<SummaryOptions> & { requests?: number }
const { requests, ...meta } = existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, 'utf8')) as Meta) : {}
printSummary(file, summariseProfile(readProfile(file), { distDir: DIST, ...meta, top }), requests)
