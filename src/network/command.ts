// Every change to the kernel's network state is a command a learner could type: iproute2's `ip`,
// `iptables-restore`, `nsenter`. This file starts them (child_process: Node cannot fork, libuv can)
// and reports each one through the trace layer, so `tocker --explain` prints the exact command line
// (and, for a batch, the lines fed on stdin) with how long it took.
import { spawn } from 'node:child_process'
import { TockerError } from '../errors.js'
import { tracedAsync } from '../trace/trace.js'

export interface CommandOptions {
  /** Written to the command's stdin (`ip -batch -`, `iptables-restore`). */
  input?: string
  /** Shown instead of the arguments in the trace (e.g. a batch's lines rather than "-batch -"). */
  describe?: () => string
}

/**
 * A command exited non-zero (code ENETCOMMAND). `stderr` holds the tool's own message ("Cannot find
 * device ..."), `exitStatus` its exit status. A low-level error: the manager words it for people.
 */
export class NetworkCommandError extends TockerError {
  constructor(
    readonly file: string,
    readonly args: string[],
    readonly exitStatus: number | null,
    readonly stderr: string,
  ) {
    super(`${[file, ...args].join(' ')}: ${stderr.trim() || `exit status ${exitStatus}`}`, { code: 'ENETCOMMAND', internal: true })
    this.name = 'NetworkCommandError'
  }
}

/** How a batch reads on one trace line: "a; b; c". */
export function oneLine(lines: string[]): string {
  return lines.map((l) => l.trim()).filter((l) => l.length > 0).join('; ')
}

/** Run `file args…`, feed `input` on stdin, resolve with stdout; reject with NetworkCommandError. */
export function runCommand(file: string, args: string[], opts: CommandOptions = {}): Promise<string> {
  const op = file.split('/').pop()!
  return tracedAsync(
    'net',
    op,
    opts.describe ?? (() => args.join(' ')),
    () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(file, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
        const out: Buffer[] = []
        const err: Buffer[] = []
        child.stdout!.on('data', (d: Buffer) => out.push(d))
        child.stderr!.on('data', (d: Buffer) => err.push(d))
        child.on('error', (e) => reject(e))
        child.on('close', (code) => {
          const stderr = Buffer.concat(err).toString()
          if (code === 0) resolve(Buffer.concat(out).toString())
          else reject(new NetworkCommandError(file, args, code, stderr))
        })
        if (opts.input !== undefined) {
          child.stdin!.on('error', () => {}) // a tool that exits early closes its stdin; the exit code tells
          child.stdin!.end(opts.input)
        }
      }),
  )
}
