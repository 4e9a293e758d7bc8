// Real clients of the engine (the docker CLI, docker-compose) run by tests: one way to start them,
// capture what they print, and bound them in time.
import { spawn } from 'node:child_process'

export interface ClientRun {
  code: number
  stdout: string
  stderr: string
}

export interface ClientOptions {
  env: NodeJS.ProcessEnv
  cwd?: string
  /** Written to the client's stdin, then closed (stdin is /dev/null without it). */
  input?: string | Buffer
  /** SIGKILL after this long (default 120 s): a hung client fails its test instead of the file's timeout. */
  timeoutMs?: number
}

/** The environment for a client of a test engine: the test's own config dir (never the user's), no NODE_OPTIONS. */
export function clientEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...vars }
  delete env.NODE_OPTIONS
  return env
}

/** Run CMD ARGS to its end; exit code -1 when it was killed by a signal. */
export function runClient(cmd: string, args: string[], o: ClientOptions): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr })
    })
    if (child.stdin) {
      // A client that exits before reading its stdin (rmi's quick refusal) must not fail the test with EPIPE.
      child.stdin.on('error', () => {})
      child.stdin.end(o.input)
    }
  })
}
