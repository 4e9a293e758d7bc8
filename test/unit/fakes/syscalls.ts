// A recording fake of the kernel-call seam (src/sys/syscalls.ts), for unit tests of the runtime
// without root (youki's syscall/test.rs). Installed with `install(t)`, it records every call in
// order with its flags decoded the way `--explain` shows them, makes none of them, and can fail a
// chosen call with an errno. Calls the kernel would make visible in the file system are imitated
// where the code under test looks at the result: mknod creates an empty regular file (so the
// runtime's chmod and EEXIST handling run), everything else only records.
import { readlinkSync, writeFileSync } from 'node:fs'
import { constants } from 'node:os'
import type { Test } from 'tap'
import { SyscallError } from '../../../native-shims/libc.js'
import { CLONE_FLAGS } from '../../../native-shims/ns.js'
import { MOUNT_ATTR_FLAGS, MOUNT_SETATTR_FLAGS, MS_FLAGS, UMOUNT_FLAGS } from '../../../native-shims/mount.js'
import { useSyscalls, type Syscalls } from '../../../src/sys/syscalls.js'
import { decodeFlags } from '../../../src/trace/trace.js'

export interface Call {
  op: keyof Syscalls
  /** The raw arguments. */
  args: unknown[]
  /** One line: op, then the arguments, flags decoded (e.g. "mount proc /proc/self/fd/9 proc MS_NOSUID|MS_NODEV"). */
  line: string
}

type Failure = { match: (c: Call) => boolean; errno: keyof typeof constants.errno; times: number }

export class FakeSyscalls implements Syscalls {
  readonly calls: Call[] = []
  /** What mountFlagsOf answers (MS_* flags), by real path (fd paths resolved); default 0 (a plain rw mount). */
  readonly mountFlags = new Map<string, number>()
  #failures: Failure[] = []

  /** Install this fake for the rest of test `t` (the real implementation comes back at its end). */
  install(t: Test): this {
    t.teardown(useSyscalls(this))
    return this
  }

  /** Make the next call(s) that match fail with `errno` (e.g. fail('mount', c => c.args[1] === x, 'EPERM')). */
  fail(op: keyof Syscalls, match: (c: Call) => boolean, errno: keyof typeof constants.errno, times = 1): void {
    this.#failures.push({ match: (c) => c.op === op && match(c), errno, times })
  }

  /** The recorded calls as lines, optionally only of some ops. */
  lines(...ops: (keyof Syscalls)[]): string[] {
    return this.calls.filter((c) => ops.length === 0 || ops.includes(c.op)).map((c) => c.line)
  }

  #record(op: keyof Syscalls, args: unknown[], shown: string[]): void {
    const call: Call = { op, args, line: [op, ...shown].join(' ') }
    this.calls.push(call)
    const f = this.#failures.find((x) => x.times > 0 && x.match(call))
    if (f) {
      f.times--
      throw new SyscallError(op, constants.errno[f.errno], typeof args[0] === 'string' ? args[0] : undefined)
    }
  }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    this.#record('mount', [source, target, fstype, flags, data], [source === null ? '-' : shown(source), shown(target), fstype ?? '-', decodeFlags(flags, MS_FLAGS), ...(data ? [data] : [])])
  }
  umount2(target: string, flags: number): void {
    this.#record('umount2', [target, flags], [shown(target), decodeFlags(flags, UMOUNT_FLAGS)])
  }
  pivotRoot(newRoot: string, putOld: string): void {
    this.#record('pivotRoot', [newRoot, putOld], [newRoot, putOld])
  }
  mountSetattr(target: string, flags: number, attrSet: number, attrClr: number): void {
    this.#record('mountSetattr', [target, flags, attrSet, attrClr], [shown(target), decodeFlags(flags, MOUNT_SETATTR_FLAGS), `set=${decodeFlags(attrSet, MOUNT_ATTR_FLAGS)}`, `clr=${decodeFlags(attrClr, MOUNT_ATTR_FLAGS)}`])
  }
  idmappedMount(source: string, target: string, usernsFd: number, recursive: boolean): void {
    this.#record('idmappedMount', [source, target, usernsFd, recursive], [shown(source), shown(target), String(usernsFd), recursive ? 'recursive' : ''])
  }
  mountFlagsOf(path: string): number {
    this.#record('mountFlagsOf', [path], [shown(path)])
    return this.mountFlags.get(shown(path)) ?? 0
  }
  fchdir(fd: number): void {
    this.#record('fchdir', [fd], [shown(`/proc/self/fd/${fd}`)])
  }
  chdir(path: string): void {
    this.#record('chdir', [path], [path])
  }
  unshare(flags: number): void {
    this.#record('unshare', [flags], [decodeFlags(flags, CLONE_FLAGS)])
  }
  setns(fd: number, nstype: number): void {
    this.#record('setns', [fd, nstype], [String(fd), decodeFlags(nstype, CLONE_FLAGS)])
  }
  sethostname(name: string): void {
    this.#record('sethostname', [name], [name])
  }
  setdomainname(name: string): void {
    this.#record('setdomainname', [name], [name])
  }
  mknod(path: string, mode: number, major: number, minor: number): void {
    this.#record('mknod', [path, mode, major, minor], [shown(path), `0${mode.toString(8)}`, `${major}:${minor}`])
    writeFileSync(path, '', { flag: 'wx', mode: mode & 0o777 }) // EEXIST as the kernel says it
  }
}

/**
 * A /proc/self/fd/N[/rest] path (how the runtime names an in-root target, see root-dir.ts) as the
 * real path the fd stands for, read at the moment of the call; other paths as they are.
 */
export function shown(path: string): string {
  const m = /^\/proc\/self\/fd\/(\d+)(\/.*)?$/.exec(path)
  if (!m) return path
  try {
    return readlinkSync(`/proc/self/fd/${m[1]}`) + (m[2] ?? '')
  } catch {
    return path
  }
}
