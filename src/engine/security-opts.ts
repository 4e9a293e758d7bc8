// HostConfig.SecurityOpt and HostConfig.Privileged, read as Docker's daemon reads them
// (moby daemon parseSecurityOpt, WithSeccomp, WithCapabilities, WithDevices), and what they make
// of a container's OCI spec: its seccomp filter, no_new_privs, capabilities, devices, and the
// masked and read-only parts of /proc and /sys.
//
//   seccomp=unconfined      no filter
//   seccomp=builtin         Docker's default profile (also what you get without the option)
//   seccomp=<profile JSON>  a profile of your own: the CLI reads the file and sends its content
//   no-new-privileges[=true|false]   PR_SET_NO_NEW_PRIVS: setuid programs and file capabilities
//                           no longer raise privileges. Off by default, as in Docker.
//   apparmor=…, label=…     accepted and kept (inspect shows them); tocker has no AppArmor or
//                           SELinux support, as Docker on a host without them.
// --privileged: every capability, no seccomp filter, /sys and the cgroup mount writable, no masked
// or read-only paths, and the host's devices (see hostDevices for what differs from Docker).
import { TockerError } from '../errors.js'
import { availableCapabilities, DEFAULT_CAPABILITIES } from '../runtime/caps.js'
import { hostDevices } from '../runtime/host-devices.js'
import { DEFAULT_SECCOMP_PROFILE } from '../runtime/seccomp/default-profile.js'
import { parseDockerProfile, toLinuxSeccomp, type DockerSeccompProfile } from '../runtime/seccomp/docker-profile.js'
import { checkSeccomp } from '../runtime/seccomp/filter.js'
import type { Spec } from '../runtime/spec.js'
import type { HostConfig } from '../api/types.js'

export const SECCOMP_BUILTIN = 'builtin'
export const SECCOMP_UNCONFINED = 'unconfined'

export interface SecurityOptions {
  /** undefined: the default profile. */
  seccompProfile?: string
  noNewPrivileges: boolean
  appArmorProfile?: string
  labels: string[]
}

function invalidOpt(n: 1 | 2, opt: string): TockerError {
  return new TockerError(`invalid --security-opt ${n}: ${JSON.stringify(opt)}`, { code: 'ESECURITYOPT', daemon: true })
}

/** moby's parseSecurityOpt: the same keys, the same errors ("invalid --security-opt 1: …" when there is no separator). */
export function parseSecurityOpts(opts: readonly string[] | null | undefined): SecurityOptions {
  const out: SecurityOptions = { noNewPrivileges: false, labels: [] }
  for (const opt of opts ?? []) {
    if (typeof opt !== 'string') throw invalidOpt(1, String(opt))
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true
      continue
    }
    if (opt === 'disable') {
      out.labels.push('disable')
      continue
    }
    // "key=value"; the old "key:value" still works in Docker (deprecated since 17.04).
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : ''
    if (!sep) throw invalidOpt(1, opt)
    const key = opt.slice(0, opt.indexOf(sep))
    const value = opt.slice(opt.indexOf(sep) + 1)
    switch (key) {
      case 'label':
        out.labels.push(value)
        break
      case 'apparmor':
        out.appArmorProfile = value
        break
      case 'seccomp':
        out.seccompProfile = value
        break
      case 'no-new-privileges':
        if (!/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(value)) throw invalidOpt(2, opt) // Go's strconv.ParseBool
        out.noNewPrivileges = /^(1|t|T|TRUE|true|True)$/.test(value)
        break
      default:
        throw invalidOpt(2, opt)
    }
  }
  return out
}

/** The Docker-format profile a container gets, or undefined for none (unconfined, privileged). */
export function seccompProfileOf(hc: HostConfig, opts = parseSecurityOpts(hc.SecurityOpt)): DockerSeccompProfile | undefined {
  if (hc.Privileged) return undefined // Docker: privileged containers run unconfined
  const p = opts.seccompProfile
  if (p === SECCOMP_UNCONFINED) return undefined
  if (p === undefined || p === '' || p === SECCOMP_BUILTIN) return DEFAULT_SECCOMP_PROFILE
  return parseDockerProfile(p)
}

/**
 * Everything HostConfig's security settings are checked for at create time (Docker checks the
 * profile only at start; refusing it here leaves nothing half-made). Throws Docker's errors.
 */
export function checkSecurityOptions(hc: HostConfig): void {
  const opts = parseSecurityOpts(hc.SecurityOpt)
  const profile = seccompProfileOf(hc, opts)
  if (!profile) return
  const sc = toLinuxSeccomp(profile, { capabilities: DEFAULT_CAPABILITIES })
  if (!sc) return
  try {
    checkSeccomp(sc)
  } catch (err) {
    throw new TockerError(`Decoding seccomp profile failed: ${(err as Error).message.replace(/^seccomp: /, '')}`, { code: 'ESECCOMPPROFILE', daemon: true, cause: err })
  }
}

/** Apply the security settings to a container's spec (Docker's defaults are already in it). */
export function applySecurityOptions(spec: Spec, hc: HostConfig): void {
  const opts = parseSecurityOpts(hc.SecurityOpt)
  const proc = spec.process!
  const linux = (spec.linux ??= {})
  proc.noNewPrivileges = opts.noNewPrivileges
  if (hc.Privileged) {
    // Every capability there is to give (Docker: all the kernel knows; on a host that runs tocker
    // confined, the ones it has). Bounding, effective and permitted; not inheritable (CVE-2022-24769).
    const all = availableCapabilities()
    proc.capabilities = { bounding: all, effective: [...all], permitted: [...all] }
    linux.maskedPaths = []
    linux.readonlyPaths = []
    for (const m of spec.mounts ?? []) {
      if (m.destination === '/sys' || m.type === 'cgroup' || m.type === 'cgroup2') m.options = (m.options ?? []).filter((o) => o !== 'ro')
    }
    linux.devices = [...(linux.devices ?? []), ...hostDevices()]
  }
  // systempaths=unconfined (the CLI sends empty lists); an API client may send its own lists.
  if (Array.isArray(hc.MaskedPaths)) linux.maskedPaths = hc.MaskedPaths.filter((p) => typeof p === 'string')
  if (Array.isArray(hc.ReadonlyPaths)) linux.readonlyPaths = hc.ReadonlyPaths.filter((p) => typeof p === 'string')
  const profile = seccompProfileOf(hc, opts)
  const sc = profile && toLinuxSeccomp(profile, { capabilities: proc.capabilities?.bounding ?? DEFAULT_CAPABILITIES })
  if (sc) linux.seccomp = sc
  else delete linux.seccomp
}
