// Runs the CLI's entry point (src/cli/main.ts) in this process with stdout and stderr captured, for
// unit tests of parsing and usage errors: nothing may reach an engine (DOCKER_HOST points nowhere,
// no autostart). Call it before the file's first subtest, so none of tap's output is captured.
import fs from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { main } from '../../../src/cli/main.js'

export interface Outcome {
  code: number
  stdout: string
  stderr: string
}

process.env.TOCKER_NO_AUTOSTART = '1'
process.env.DOCKER_HOST = 'unix:///nonexistent/tocker-unit.sock'
process.env.LANG = 'C'
delete process.env.LC_ALL
delete process.env.LC_MESSAGES

export async function cli(argv: string[]): Promise<Outcome> {
  const out: string[] = []
  const err: string[] = []
  const writes = [process.stdout.write, process.stderr.write]
  process.stdout.write = ((chunk: string | Uint8Array) => out.push(String(chunk)) > 0) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => err.push(String(chunk)) > 0) as typeof process.stderr.write
  // What the commands that print once write to fd 1 by writeStdout (src/cli/output.ts: fs.writeSync,
  // not process.stdout): captured too. syncBuiltinESMExports makes the ESM binding of node:fs's
  // writeSync, output.ts's, follow the patched one.
  const writeSync = fs.writeSync
  fs.writeSync = ((fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]) => {
    if (fd !== 1) return (writeSync as (...a: unknown[]) => number)(fd, data, ...rest)
    const chunk = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).subarray(typeof rest[0] === 'number' ? rest[0] : 0)
    out.push(chunk.toString())
    return typeof data === 'string' ? Buffer.byteLength(data) : chunk.length
  }) as typeof fs.writeSync
  syncBuiltinESMExports()
  const listeners = [process.stdout.listeners('error'), process.stderr.listeners('error')]
  try {
    return { code: await main(argv), stdout: out.join(''), stderr: err.join('') }
  } finally {
    fs.writeSync = writeSync
    syncBuiltinESMExports()
    ;[process.stdout.write, process.stderr.write] = writes
    // main() adds its broken-pipe handler once per process run; here it runs hundreds of times.
    for (const [stream, before] of [[process.stdout, listeners[0]], [process.stderr, listeners[1]]] as const) {
      for (const l of stream.listeners('error')) if (!before.includes(l)) stream.off('error', l as (e: Error) => void)
    }
  }
}
