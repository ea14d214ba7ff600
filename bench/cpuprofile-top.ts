/**
 * Prints the functions with the most self time in a .cpuprofile, with their
 * file:line (mapped to the sources for hookguard's build), and self time per
 * area (hookguard, each framework package, node internals, GC).
 *
 *   npx tsx bench/cpuprofile-top.ts .tmp/profiles/hono.cpuprofile [--top 15]
 */
import { DIST } from './lib/dist.js'
import { printSummary, readProfile, summariseProfile } from './lib/cpuprofile.js'

const file = process.argv[2]
if (!file) {
  console.error('usage: tsx bench/cpuprofile-top.ts <file.cpuprofile> [--top N]')
  process.exit(1)
}
const topAt = process.argv.indexOf('--top')
const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 15
printSummary(file, summariseProfile(readProfile(file), { distDir: DIST, top }))
