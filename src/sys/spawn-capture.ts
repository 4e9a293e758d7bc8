// A short program run to its end, its stdin fed from a string and its output captured (the network
// layer's iptables-restore, iptables-save, ip), started with posix_spawn (native-shims/spawn.ts)
// instead of child_process.spawn. Node's spawn forks: the engine's thread stops until the child has
// copied its page tables and exec'd, which measured 6-31 ms (median 12) for a 100 MB Node process
// on this 2-core machine under load, once per published port's rules, on `run -p`'s way. glibc's
// posix_spawn borrows the memory instead (clone with CLONE_VM|CLONE_VFORK): ~0.5 ms.
//
// libuv reaps only the children it started: this one is reaped here, with waitpid(WNOHANG) once
// its stdout and stderr have ended (it is exiting then), a few looks at once and then short sleeps.
// Not traced as a process start of its own: the caller traces the command as one step.
import { accessSync, closeSync, constants, openSync } from 'node:fs'
import { Socket } from 'node:net'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import * as proc from '../../native-shims/proc.js'
import { posixSpawn, waitpid, WNOHANG } from '../../native-shims/spawn.js'

export interface Captured {
  /** The exit code, or null when a signal ended it (`signal`). */
  code: number | null
  signal?: number
  stdout: string
  stderr: string
}

const found = new Map<string, string>()

/** `file` on $PATH (as execvp would find it), remembered; a path is used as it is. */
function onPath(file: string): string {
  if (file.includes('/')) return file
  const known = found.get(file)
  if (known) return known
  for (const dir of (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const path = join(dir || '.', file)
    try {
      accessSync(path, constants.X_OK)
    } catch {
      continue
    }
    found.set(file, path)
    return path
  }
  throw new TockerError(`spawn ${file} ENOENT`, { code: 'ENOENT', internal: true })
}

/** Run `file args…` to its end; resolves with its exit and output (a non-zero exit is not an error). */
export function spawnCapture(file: string, args: string[], input?: string): Promise<Captured> {
  const ours: Socket[] = []
  const theirs: number[] = []
  let devNull: number | undefined
  const pair = (): number => {
    const [a, b] = proc.socketpair(proc.SOCK_STREAM | proc.SOCK_CLOEXEC)
    ours.push(new Socket({ fd: a, readable: true, writable: true }))
    theirs.push(b)
    return b
  }
  let pid: number
  let stdin: Socket | undefined
  try {
    // (libuv opens files and sockets close-on-exec: only the dup2'ed copies reach the child.)
    const inFd = input === undefined ? (devNull = openSync('/dev/null', 'r')) : pair()
    if (input !== undefined) stdin = ours[0]
    const outFd = pair()
    const errFd = pair()
    const env = Object.entries(process.env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`)
    pid = posixSpawn(onPath(file), [file, ...args], env, [inFd, outFd, errFd], 0)
  } catch (err) {
    for (const s of ours) s.destroy()
    return Promise.reject(err)
  } finally {
    for (const fd of theirs) closeSync(fd)
    if (devNull !== undefined) closeSync(devNull)
  }
  const [out, err] = stdin ? ours.slice(1) : ours
  const text = (s: Socket): Promise<string> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = []
      s.on('data', (d: Buffer) => chunks.push(d))
      s.on('error', () => {}) // (an early exit resets it; the exit status tells)
      s.on('close', () => resolve(Buffer.concat(chunks).toString()))
    })
  if (stdin && input !== undefined) {
    stdin.on('error', () => {}) // a program that exits early closes its stdin; the exit status tells
    stdin.end(input)
  }
  return Promise.all([text(out), text(err)]).then(async ([stdout, stderr]) => {
    stdin?.destroy()
    const status = await reap(pid)
    const signal = status & 0x7f
    return signal ? { code: null, signal, stdout, stderr } : { code: (status >> 8) & 0xff, stdout, stderr }
  })
}

/** Its raw wait status, once it has ended (its output has: it is on its way out). */
async function reap(pid: number): Promise<number> {
  for (let tries = 0;; tries++) {
    const status = waitpid(pid, WNOHANG)
    if (status !== undefined) return status
    await new Promise((r) => (tries < 20 ? setImmediate(r) : setTimeout(r, Math.min(2 ** (tries - 20), 20))))
  }
}
