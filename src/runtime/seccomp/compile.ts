// Compiling a container's seccomp filter into the BPF program the gate loads: done by
// native-shims/out/seccomp (libseccomp, plus runc's ENOSYS stub), once per distinct filter and
// process. Why once: libseccomp needs 10-70 ms for Docker's profile on x86_64 + i386 + x32 (its
// BPF generation), measured here; every container and every exec of a long-lived engine gets the
// same filter, so the engine pays it at its first container only and then hands the gate the
// program it already has (see native-shims/seccomp/compile.c).
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { statSync } from 'node:fs'
import { TockerError } from '../../errors.js'
import { report } from '../../trace/trace.js'
import { locateNativeHelper } from '../native-helper.js'
import type { LinuxSeccomp } from '../spec.js'
import { actionText, compilerInput } from './filter.js'

export interface CompiledSeccomp {
  /** Rules handed to libseccomp (syscall names whose action is not the default one). */
  rules: number
  /** Length of the BPF program, in instructions. */
  instructions: number
  /** Names this libseccomp could not resolve (skipped: the ENOSYS stub answers for newer syscalls). */
  unknownNames: number
  /** SECCOMP_FILTER_FLAG_* for seccomp(2). */
  flags: number
  /** The struct sock_filter array, in hex: what the gate loads. */
  program: string
}

let compilerPath: string | undefined

/** native-shims/out/seccomp (TOCKER_SECCOMP overrides). */
export function locateCompiler(): string {
  return (compilerPath ??= locateNativeHelper('seccomp', 'TOCKER_SECCOMP'))
}

/** Filters already compiled by this process, by the compiler's identity and the filter. */
const compiled = new Map<string, CompiledSeccomp>()

/** The program for a filter: from this process's cache, or compiled now. */
export async function compileSeccomp(sc: LinuxSeccomp): Promise<CompiledSeccomp> {
  const bin = locateCompiler()
  const input = compilerInput(sc)
  const st = statSync(bin) // a rebuilt compiler (another libseccomp) makes new keys
  const key = createHash('sha256').update(`${bin}\0${st.ino}\0${st.mtimeMs}\0${input}`).digest('hex')
  const hit = compiled.get(key)
  if (hit) return hit
  const started = performance.now()
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(bin, [], { maxBuffer: 1 << 20, env: {} }, (err, stdout, stderr) => {
      if (err) reject(new TockerError(`seccomp: ${stderr.trim() || err.message}`.replace(/^seccomp: seccomp: /, 'seccomp: '), { code: 'EINVALID', cause: err }))
      else resolve(stdout)
    })
    child.stdin!.end(input)
  })
  const [rules, instructions, unknownNames, flags, program] = out.trim().split(' ')
  const result: CompiledSeccomp = { rules: Number(rules), instructions: Number(instructions), unknownNames: Number(unknownNames), flags: Number(flags), program }
  if (!/^[0-9a-f]+$/.test(program ?? '') || program.length !== result.instructions * 16) throw new TockerError(`seccomp: the compiler's answer is malformed: ${out.slice(0, 80)}`, { code: 'EINTERNAL' })
  compiled.set(key, result)
  report({
    kind: 'exec',
    op: 'seccomp-compile',
    detail: `${bin}: ${result.rules} rules for ${(sc.architectures ?? ['the native architecture']).map(archName).join(', ')} → libseccomp → BPF`,
    result: `${result.instructions} instructions${result.unknownNames ? `, ${result.unknownNames} names unknown to this libseccomp (skipped)` : ''}`,
    ms: performance.now() - started,
  })
  return result
}

const archName = (a: string): string => a.replace(/^SCMP_ARCH_/, '').toLowerCase()

/**
 * --explain: how the gate's report of its seccomp(2) reads (ShimChannel.describeNext): the gate
 * loads the filter at the point process.c explains (with no_new_privs: last, right before execve;
 * without: before the capabilities go).
 */
export function seccompHandover(sc: LinuxSeccomp, c: CompiledSeccomp, noNewPrivs: boolean): string {
  return (
    `SECCOMP_SET_MODE_FILTER, ${c.instructions} BPF instructions (${c.rules} rules, default ${actionText(sc.defaultAction, sc.defaultErrnoRet)}, ` +
    `${(sc.architectures ?? []).map(archName).join('+') || 'native arch'}), by the gate ` +
    (noNewPrivs ? 'after no_new_privs, just before execve' : 'before it drops its capabilities (without no_new_privs, loading a filter needs CAP_SYS_ADMIN)')
  )
}
