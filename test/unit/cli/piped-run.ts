// A CLI probe run as a process of its own, with stdout and stderr pipes (a pipe's process.stdout is
// a net.Socket: what loads node:net shows there), for bundle.test and stdout-writes.test.
import { spawn } from 'node:child_process'

/** `node -e script -- ...args` to its end: its exit status and what it printed on each pipe. */
export async function runPiped(script: string, args: string[]): Promise<{ status: number | null; out: string; err: string }> {
  // Through env -u: tap's process tracking puts its loaders (which load node:net) in NODE_OPTIONS.
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, '-e', script, '--', ...args], { env: { ...process.env, TOCKER_NO_BUNDLE: '' } })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => (out += d))
  child.stderr.on('data', (d: Buffer) => (err += d))
  const status = await new Promise<number | null>((r) => child.on('close', r))
  return { status, out, err }
}
