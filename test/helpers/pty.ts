// A command under a pseudo-terminal (util-linux `script`), for tests of what only happens at a
// terminal (-it, detach keys, --step's pauses): keys typed, the terminal's output read back.
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { until } from '../integration/engine/harness.js'

/** `argv` as one shell command line (each word single-quoted). */
export function shellLine(argv: string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
}

export interface PtyProcess {
  /** Type keys (a string or raw bytes), then give the other side a moment to read them. */
  type(s: string | number[]): Promise<void>
  /** Everything the terminal showed so far (carriage returns kept). */
  output(): string
  waitFor(re: RegExp, what: string, ms?: number): Promise<void>
  exited: Promise<number>
  /** The exit code, or undefined if it is still running after `ms`. */
  exitWithin(ms: number): Promise<number | undefined>
}

/** Run `argv` under a pty; it is killed (SIGKILL) after `killAfterMs`. */
export function underPty(argv: string[], env: NodeJS.ProcessEnv, killAfterMs = 60_000): PtyProcess {
  const child = spawn('script', ['-q', '-e', '-c', shellLine(argv), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (out += d))
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)))
  const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  exited.then(() => clearTimeout(killer))
  return {
    type: async (s) => {
      child.stdin.write(typeof s === 'string' ? s : Buffer.from(s))
      await sleep(150)
    },
    output: () => out,
    waitFor: async (re, what, ms = 20_000) => {
      try {
        await until(() => re.test(out), what, ms)
      } catch {
        throw new Error(`timed out waiting for ${what}; the terminal showed ${JSON.stringify(out)}`)
      }
    },
    exited,
    exitWithin: (ms) => Promise.race([exited, sleep(ms).then(() => undefined)]),
  }
}
