// Docker's seccomp profile format (what `--security-opt seccomp=PATH` reads, and the form of the
// default profile) and its conversion into the OCI spec's linux.seccomp, which a runtime loads.
//
// A Docker profile is the OCI structure plus conditions Docker resolves when it makes the spec:
//   archMap            per native architecture, the others its kernel also runs (x86_64: i386, x32)
//   includes/excludes  a rule applies only if the container has (or lacks) these capabilities in
//                      its bounding set, runs on these architectures, on at least this kernel
// This follows moby's profiles/seccomp (setupSeccomp): same fields, same precedence, same error
// texts where Docker has them.
import { release } from 'node:os'
import { TockerError } from '../../errors.js'
import type { LinuxSeccomp, LinuxSeccompArg, LinuxSyscall } from '../spec.js'

export interface SeccompFilterCondition {
  caps?: string[]
  arches?: string[]
  /** "4.8": the kernel's major.minor, at least. */
  minKernel?: string
}

export interface DockerSyscallRule {
  names?: string[]
  /** Deprecated single-name form. */
  name?: string
  action: string
  errnoRet?: number
  args?: LinuxSeccompArg[] | null
  comment?: string
  includes?: SeccompFilterCondition
  excludes?: SeccompFilterCondition
}

export interface DockerSeccompProfile {
  defaultAction?: string
  defaultErrnoRet?: number
  architectures?: string[] | null
  archMap?: { architecture: string; subArchitectures: string[] | null }[] | null
  flags?: string[] | null
  listenerPath?: string
  listenerMetadata?: string
  syscalls?: DockerSyscallRule[] | null
}

/** What a rule's includes/excludes are checked against. */
export interface SeccompTarget {
  /** The container's bounding set ("CAP_SYS_ADMIN", ...). */
  capabilities: readonly string[]
  /** Go's name of this machine's architecture, as profiles write it: amd64, arm64, 386, ... */
  arch?: string
  /** [major, minor] of the running kernel. */
  kernel?: [number, number]
}

/** Node's process.arch → Go's GOARCH (the names in a profile's includes.arches). */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64', mips: 'mips', mipsel: 'mipsle', loong64: 'loong64' }

/** GOARCH → libseccomp's native architecture name (the archMap key). */
const NATIVE_SECCOMP_ARCH: Record<string, string> = {
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
  '386': 'SCMP_ARCH_X86',
  arm: 'SCMP_ARCH_ARM',
  s390x: 'SCMP_ARCH_S390X',
  ppc64le: 'SCMP_ARCH_PPC64LE',
  riscv64: 'SCMP_ARCH_RISCV64',
  mips: 'SCMP_ARCH_MIPS',
  mipsle: 'SCMP_ARCH_MIPSEL',
  loong64: 'SCMP_ARCH_LOONGARCH64',
}

export function goArch(nodeArch = process.arch): string {
  return GO_ARCH[nodeArch] ?? nodeArch
}

export function kernelVersion(text = release()): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(text)
  return m ? [Number(m[1]), Number(m[2])] : [0, 0]
}

function decodingFailed(what: string): TockerError {
  return new TockerError(`Decoding seccomp profile failed: ${what}`, { code: 'ESECCOMPPROFILE' })
}

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string')
const optional = (v: unknown): boolean => v === undefined || v === null

/**
 * A profile's JSON text, checked for shape (not yet for action or architecture names: that is
 * the runtime's check, see filter.ts). Throws Docker's "Decoding seccomp profile failed: …".
 */
export function parseDockerProfile(text: string): DockerSeccompProfile {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (err) {
    throw decodingFailed((err as Error).message)
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw decodingFailed('the profile must be a JSON object')
  const p = raw as Record<string, unknown>
  const str = (k: string) => {
    if (!optional(p[k]) && typeof p[k] !== 'string') throw decodingFailed(`"${k}" must be a string`)
  }
  str('defaultAction')
  str('listenerPath')
  str('listenerMetadata')
  if (!optional(p.defaultErrnoRet) && !isUint(p.defaultErrnoRet)) throw decodingFailed('"defaultErrnoRet" must be a non-negative integer')
  for (const k of ['architectures', 'flags']) if (!optional(p[k]) && !isStringArray(p[k])) throw decodingFailed(`"${k}" must be an array of strings`)
  if (!optional(p.archMap)) {
    if (!Array.isArray(p.archMap)) throw decodingFailed('"archMap" must be an array')
    p.archMap.forEach((a, i) => {
      if (!a || typeof a !== 'object' || typeof a.architecture !== 'string' || !(optional(a.subArchitectures) || isStringArray(a.subArchitectures))) {
        throw decodingFailed(`"archMap[${i}]" must be {"architecture": string, "subArchitectures": [string]}`)
      }
    })
  }
  if (!optional(p.syscalls)) {
    if (!Array.isArray(p.syscalls)) throw decodingFailed('"syscalls" must be an array')
    p.syscalls.forEach((s, i) => checkRuleShape(s, `syscalls[${i}]`))
  }
  return p as DockerSeccompProfile
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0
}

function checkRuleShape(s: unknown, at: string): void {
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw decodingFailed(`"${at}" must be an object`)
  const r = s as Record<string, unknown>
  if (!optional(r.names) && !isStringArray(r.names)) throw decodingFailed(`"${at}.names" must be an array of strings`)
  if (!optional(r.name) && typeof r.name !== 'string') throw decodingFailed(`"${at}.name" must be a string`)
  if (typeof r.action !== 'string') throw decodingFailed(`"${at}.action" must be a string`)
  if (!optional(r.errnoRet) && !isUint(r.errnoRet)) throw decodingFailed(`"${at}.errnoRet" must be a non-negative integer`)
  if (!optional(r.args)) {
    if (!Array.isArray(r.args)) throw decodingFailed(`"${at}.args" must be an array`)
    r.args.forEach((a, j) => {
      if (!a || typeof a !== 'object' || !isUint(a.index) || !isUint(a.value) || !(optional(a.valueTwo) || isUint(a.valueTwo)) || typeof a.op !== 'string') {
        throw decodingFailed(`"${at}.args[${j}]" must be {"index": n, "value": n, "valueTwo": n, "op": "SCMP_CMP_…"}`)
      }
    })
  }
  for (const k of ['includes', 'excludes']) {
    const f = r[k]
    if (optional(f)) continue
    if (typeof f !== 'object' || Array.isArray(f)) throw decodingFailed(`"${at}.${k}" must be an object`)
    const c = f as Record<string, unknown>
    if (!optional(c.caps) && !isStringArray(c.caps)) throw decodingFailed(`"${at}.${k}.caps" must be an array of strings`)
    if (!optional(c.arches) && !isStringArray(c.arches)) throw decodingFailed(`"${at}.${k}.arches" must be an array of strings`)
    if (!optional(c.minKernel) && (typeof c.minKernel !== 'string' || !/^\d+\.\d+$/.test(c.minKernel))) {
      throw decodingFailed(`invalid kernel version: ${JSON.stringify(c.minKernel)} in "${at}.${k}.minKernel", expected "<kernel>.<major>"`)
    }
  }
}

const atLeast = (kernel: [number, number], min: string): boolean => {
  const [maj, mnr] = min.split('.').map(Number)
  return kernel[0] > maj || (kernel[0] === maj && kernel[1] >= mnr)
}

/**
 * moby's setupSeccomp: the OCI filter for one container. Undefined when the profile disables
 * seccomp (no defaultAction and no syscalls, as Docker reads an empty profile).
 */
export function toLinuxSeccomp(profile: DockerSeccompProfile, target: SeccompTarget): LinuxSeccomp | undefined {
  if (!profile.defaultAction && !profile.syscalls?.length) return undefined
  if (profile.architectures?.length && profile.archMap?.length) {
    throw decodingFailed("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'")
  }
  const arch = target.arch ?? goArch()
  const kernel = target.kernel ?? kernelVersion()
  const caps = new Set(target.capabilities)
  const out: LinuxSeccomp = { defaultAction: profile.defaultAction ?? '' }
  if (profile.defaultErrnoRet !== undefined && profile.defaultErrnoRet !== null) out.defaultErrnoRet = profile.defaultErrnoRet
  let architectures = profile.architectures ?? []
  const native = NATIVE_SECCOMP_ARCH[arch]
  const entry = profile.archMap?.find((a) => a.architecture === native)
  if (entry) architectures = [entry.architecture, ...(entry.subArchitectures ?? [])]
  if (architectures.length) out.architectures = [...architectures]
  if (profile.flags?.length) out.flags = [...profile.flags]
  if (profile.listenerPath) out.listenerPath = profile.listenerPath
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata
  const syscalls: LinuxSyscall[] = []
  for (const rule of profile.syscalls ?? []) {
    if (rule.name && rule.names?.length) throw decodingFailed("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'")
    const { excludes: ex, includes: inc } = rule
    if (ex) {
      if (ex.arches?.includes(arch)) continue
      if (ex.caps?.some((c) => caps.has(c))) continue
      if (ex.minKernel && atLeast(kernel, ex.minKernel)) continue
    }
    if (inc) {
      if (inc.arches?.length && !inc.arches.includes(arch)) continue
      if (inc.caps?.some((c) => !caps.has(c))) continue
      if (inc.minKernel && !atLeast(kernel, inc.minKernel)) continue
    }
    const names = rule.name ? [rule.name] : [...(rule.names ?? [])]
    const s: LinuxSyscall = { names, action: rule.action }
    if (rule.errnoRet !== undefined && rule.errnoRet !== null) s.errnoRet = rule.errnoRet
    if (rule.args?.length) s.args = rule.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }))
    syscalls.push(s)
  }
  out.syscalls = syscalls
  return out
}
