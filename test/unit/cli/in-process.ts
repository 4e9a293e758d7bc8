// Runs the CLI's entry point (src/cli/main.ts) in this process with stdout and stderr captured, for
// unit tests of parsing and usage errors: nothing may reach an engine (DOCKER_HOST points nowhere,
// no autostart). Call it before the file's first subtest, so none of tap's output is captured.
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
  const listeners = [process.stdout.listeners('error'), process.stderr.listeners('error')]
  try {
    return { code: await main(argv), stdout: out.join(''), stderr: err.join('') }
  } finally {
    ;[process.stdout.write, process.stderr.write] = writes
    // main() adds its broken-pipe handler once per process run; here it runs hundreds of times.
    for (const [stream, before] of [[process.stdout, listeners[0]], [process.stderr, listeners[1]]] as const) {
      for (const l of stream.listeners('error')) if (!before.includes(l)) stream.off('error', l as (e: Error) => void)
    }
  }
}
