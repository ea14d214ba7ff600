/**
 * Internal: what a command reads and writes. The bin passes the process's
 * streams; nothing else in the CLI touches `process`.
 *
 * @module
 */

export interface OutStream {
  write(chunk: string | Uint8Array): unknown
  readonly isTTY?: boolean
}

export interface CliIo {
  stdout: OutStream
  stderr: OutStream
  /** Read for `--body -`. */
  stdin: AsyncIterable<Uint8Array | string>
  env: Readonly<Record<string, string | undefined>>
  /** Relative paths are resolved against this. */
  cwd: string
  /** Resolves on the first Ctrl-C (SIGINT) or SIGTERM; long-running commands (`tail`, `inspect`) wait on it. */
  interrupted(): Promise<void>
  /** Package version, for `--version`. */
  version: string
}

/** The process's own streams, environment and signals. */
export function processIo(version: string): CliIo {
  let interrupted: Promise<void> | undefined
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    version,
    interrupted() {
      interrupted ??= new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          resolve()
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      })
      return interrupted
    },
  }
}

/** Everything on standard input, as bytes. */
export async function readAll(input: AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of input) chunks.push(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk)
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}
