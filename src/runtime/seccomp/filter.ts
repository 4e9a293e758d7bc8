// linux.seccomp of an OCI spec: checked here (every name the kernel side would refuse is refused
// before anything is made, with runc's wording), then written out for the compiler
// (native-shims/seccomp, libseccomp), one field per line:
//   z <defaultAction> <errno|->                          once
//   Z <SCMP_ARCH_…>                                      each architecture
//   f <SECCOMP_FILTER_FLAG_…>                            each flag
//   y <action> <errno|-> <name> [<index> <op> <value> <valueTwo>]…   one per syscall name
import { TockerError } from '../../errors.js'
import type { LinuxSeccomp } from '../spec.js'

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
]

export const SECCOMP_OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']

/** The architectures libseccomp 2.5 knows. */
export const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
]

export const SECCOMP_FLAGS = ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']

function invalid(message: string): TockerError {
  return new TockerError(message, { code: 'EINVALID' })
}

const isUint = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0
const withErrno = (action: string): boolean => action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE'

/** Refuse a filter the gate could not build, naming what is wrong (runc's texts where runc has them). */
export function checkSeccomp(sc: LinuxSeccomp): void {
  if (!sc || typeof sc !== 'object') throw invalid('linux.seccomp must be an object')
  if (!SECCOMP_ACTIONS.includes(sc.defaultAction)) throw invalid(`seccomp: string ${sc.defaultAction || '""'} is not a valid action for seccomp`)
  if (sc.defaultErrnoRet !== undefined && !isUint(sc.defaultErrnoRet)) throw invalid('seccomp: defaultErrnoRet must be a non-negative integer')
  if (sc.listenerPath || sc.defaultAction === 'SCMP_ACT_NOTIFY') {
    throw invalid('seccomp: SCMP_ACT_NOTIFY and listenerPath (a seccomp agent) are not supported by tocker')
  }
  for (const a of sc.architectures ?? []) if (!SECCOMP_ARCHES.includes(a)) throw invalid(`seccomp: string ${a} is not a valid arch for seccomp`)
  for (const f of sc.flags ?? []) if (!SECCOMP_FLAGS.includes(f)) throw invalid(`seccomp: flag ${f} is not supported`)
  if (sc.syscalls !== undefined && !Array.isArray(sc.syscalls)) throw invalid('seccomp: syscalls must be an array')
  for (const [i, s] of (sc.syscalls ?? []).entries()) {
    if (!s || !Array.isArray(s.names) || s.names.length === 0) throw invalid(`seccomp: syscalls[${i}] names no syscall`)
    for (const n of s.names) if (typeof n !== 'string' || !/^[A-Za-z0-9_]+$/.test(n)) throw invalid(`seccomp: ${JSON.stringify(n)} is not a valid syscall name`)
    if (!SECCOMP_ACTIONS.includes(s.action)) throw invalid(`seccomp: string ${s.action || '""'} is not a valid action for seccomp (syscalls[${i}], ${s.names[0]})`)
    if (s.errnoRet !== undefined && s.errnoRet !== null) {
      if (!withErrno(s.action)) throw invalid(`seccomp: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE (syscalls[${i}], ${s.names[0]})`)
      if (!isUint(s.errnoRet) || s.errnoRet > 4095) throw invalid(`seccomp: errnoRet ${s.errnoRet} is not an errno (syscalls[${i}])`)
    }
    for (const a of s.args ?? []) {
      if (!isUint(a.index) || a.index > 5) throw invalid(`seccomp: argument index ${a.index} out of range (a syscall has arguments 0 to 5) in the rule for ${s.names[0]}`)
      if (!SECCOMP_OPERATORS.includes(a.op)) throw invalid(`seccomp: string ${a.op} is not a valid operator for seccomp (rule for ${s.names[0]})`)
      if (!isUint(a.value) || (a.valueTwo !== undefined && !isUint(a.valueTwo))) throw invalid(`seccomp: argument values must be non-negative integers (rule for ${s.names[0]})`)
    }
  }
}

const errnoField = (errno: number | undefined): string => (errno === undefined || errno === null ? '-' : String(errno))

/** What the filter looks like to a learner: "ERRNO(EPERM)". */
export function actionText(action: string, errno: number | undefined): string {
  const short = action.replace(/^SCMP_ACT_/, '')
  if (!withErrno(action)) return short
  const e = errno ?? 1
  return `${short}(${e === 1 ? 'EPERM' : e === 38 ? 'ENOSYS' : e})`
}

/** The compiler's input (native-shims/seccomp/main.c): one field per line, see the top of this file. */
export function compilerInput(sc: LinuxSeccomp): string {
  const lines = [`z${sc.defaultAction} ${errnoField(sc.defaultErrnoRet)}`]
  for (const a of sc.architectures ?? []) lines.push(`Z${a}`)
  for (const f of sc.flags ?? []) lines.push(`f${f}`)
  for (const s of sc.syscalls ?? []) {
    const args = (s.args ?? []).map((a) => ` ${a.index} ${a.op} ${BigInt(a.value)} ${BigInt(a.valueTwo ?? 0)}`).join('')
    for (const name of s.names) lines.push(`y${s.action} ${errnoField(s.errnoRet)} ${name}${args}`)
  }
  return lines.join('\n') + '\n'
}
