// The spec's process, made concrete for the gate (native-shims/shim/process.c): names become
// numbers (capabilities → bit masks, rlimit names → resource numbers, the user → uid/gid/groups),
// HOME is added like runc does, and everything is packed as tag byte + NUL-terminated value.
import { TockerError } from '../errors.js'
import { capabilityMask } from './caps.js'
import type { CompiledSeccomp } from './seccomp/compile.js'
import type { Process } from './spec.js'
import type { ResolvedUser } from './user.js'

/** <sys/resource.h> */
export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
}

const RLIM_INFINITY = 18446744073709551615n

/** The environment with HOME added when the spec has none (runc does this). */
export function processEnv(proc: Process, user: ResolvedUser): string[] {
  const env = [...(proc.env ?? [])]
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home}`)
  return env
}

/** What the gate does besides the process itself (process.c's T, k, p and hook fields). */
export interface ProcessExtras {
  /** process.terminal with a console socket: size, and whether /dev/console gets the slave (create). */
  terminal?: { rows: number; cols: number; console: boolean }
  /** Join a new session keyring of this name (runc: "_ses.<id>", unless --no-new-keyring). */
  keyring?: string
  /** AppArmor profile to change to at execve (only where AppArmor is enabled). */
  apparmor?: string
  /** startContainer hooks, encoded (hooks.ts encodeHooks). */
  startHooks?: string[]
}

/** `seccomp`: the container's filter, compiled (seccomp/compile.ts), if it has one. */
export function encodeProcess(proc: Process, user: ResolvedUser, env = processEnv(proc, user), seccomp?: CompiledSeccomp, extras: ProcessExtras = {}): Buffer {
  const fields: string[] = []
  const put = (tag: string, value: string | number | bigint): void => {
    const v = String(value)
    if (v.includes('\0')) throw new TockerError(`process field contains a NUL byte: ${JSON.stringify(v)}`, { code: 'EINVALID' })
    fields.push(tag + v + '\0')
  }
  for (const a of proc.args) put('a', a)
  for (const e of env) put('e', e)
  put('c', proc.cwd)
  put('u', user.uid)
  put('g', user.gid)
  for (const g of user.groups) put('G', g)
  if (proc.user.umask !== undefined) put('m', proc.user.umask.toString(8))
  if (proc.noNewPrivileges) put('n', 1)
  if (proc.oomScoreAdj !== undefined) put('o', proc.oomScoreAdj)
  const caps = proc.capabilities
  if (caps) {
    put('B', capabilityMask(caps.bounding).toString(16))
    put('E', capabilityMask(caps.effective).toString(16))
    put('P', capabilityMask(caps.permitted).toString(16))
    put('I', capabilityMask(caps.inheritable).toString(16))
    put('A', capabilityMask(caps.ambient).toString(16))
  }
  for (const r of rlimitTriples(proc)) put('r', r.join(' '))
  if (seccomp) put('F', `${seccomp.flags} ${seccomp.program}`)
  if (extras.terminal) put('T', `${extras.terminal.rows} ${extras.terminal.cols} ${extras.terminal.console ? 1 : 0}`)
  if (extras.keyring) put('k', extras.keyring)
  if (extras.apparmor) put('p', extras.apparmor)
  fields.push(...(extras.startHooks ?? []))
  return Buffer.from(fields.join(''))
}

/** process.rlimits as [resource number, soft, hard] (RLIM_INFINITY for "unlimited"); an unknown name is an error. */
export function rlimitTriples(proc: Process): [number, bigint, bigint][] {
  const lim = (n: number): bigint => (n < 0 || n >= Number.MAX_SAFE_INTEGER ? RLIM_INFINITY : BigInt(n))
  return (proc.rlimits ?? []).map((r) => {
    const res = RLIMITS[r.type]
    if (res === undefined) throw new TockerError(`unknown rlimit type "${r.type}"`, { code: 'EINVALID' })
    return [res, lim(r.soft), lim(r.hard)]
  })
}
