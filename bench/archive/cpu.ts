/**
 * CPU time of the main thread alone, ms, from /proc/self/task/<pid>/stat on
 * Linux (10 ms ticks: measure windows of seconds). Elsewhere it falls back to
 * the whole process's CPU time, which then includes worker threads.
 * On a shared machine CPU time is a steadier cost measure than wall time,
 * which also counts the time the thread waited for a core.
 */
import { readFileSync } from 'node:fs'

const TICK_MS = 10

export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS
  } catch {
    const usage = process.cpuUsage()
    return (usage.user + usage.system) / 1000
  }
}

/** Whether {@link mainThreadCpuMs} measures the main thread alone. */
export const perThreadCpu = (() => {
  try {
    readFileSync(`/proc/self/task/${process.pid}/stat`)
    return true
  } catch {
    return false
  }
})()
