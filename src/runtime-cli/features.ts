// `features` (runtime-spec features.md; runc 1.1 prints the same shape): what this runtime can
// do, so that an engine can check before it asks. Only what tocker really does is listed.
import { execFileSync } from 'node:child_process'
import { CAPABILITIES } from '../runtime/caps.js'
import { appArmorEnabled } from '../runtime/apparmor.js'
import { locateNativeHelper } from '../runtime/native-helper.js'
import { MOUNT_OPTION_NAMES } from '../runtime/mount-options.js'
import { OCI_VERSION } from '../runtime/spec.js'
import { SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS } from '../runtime/seccomp/filter.js'

let seccompVersion: string | undefined

/** libseccomp's version in the seccomp helper (linked statically). */
export function libseccompVersion(): string {
  if (seccompVersion === undefined) {
    try {
      seccompVersion = execFileSync(locateNativeHelper('seccomp', 'TOCKER_SECCOMP'), ['--version'], { encoding: 'utf8' }).trim()
    } catch {
      seccompVersion = 'unknown'
    }
  }
  return seccompVersion
}

export function features(version: string): Record<string, unknown> {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [...MOUNT_OPTION_NAMES].sort(),
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
      capabilities: CAPABILITIES,
      // cgroup v2 only: tocker never writes to a v1 hierarchy; systemd's cgroup paths are mapped
      // onto cgroupfs (no systemd D-Bus calls).
      cgroup: { v1: false, v2: true, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: [...SECCOMP_ACTIONS].sort(),
        operators: [...SECCOMP_OPERATORS].sort(),
        archs: [...SECCOMP_ARCHES].sort(),
      },
      apparmor: { enabled: appArmorEnabled() },
      selinux: { enabled: false },
    },
    annotations: {
      'io.github.seccomp.libseccomp.version': libseccompVersion(),
      'dev.tocker.runtime.version': version,
      'org.opencontainers.runc.checkpoint.enabled': 'false',
    },
  }
}
