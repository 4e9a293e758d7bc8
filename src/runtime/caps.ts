// Capabilities: the names the spec uses ("CAP_NET_RAW") and the bit numbers the kernel uses.
// The gate applies the masks (native-shims/shim/process.c); this file only translates.
import { readFileSync } from 'node:fs'
import { TockerError } from '../errors.js'

/** <linux/capability.h>, in bit order. */
export const CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const

/** Docker's default set (moby oci/caps/defaults.go): what a container's root keeps. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]

/** "NET_RAW", "cap_net_raw" and "CAP_NET_RAW" all name bit 13. */
export function capabilityBit(name: string): number {
  const upper = name.toUpperCase()
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`
  const bit = (CAPABILITIES as readonly string[]).indexOf(full)
  if (bit < 0) throw new TockerError(`unknown capability "${name}"`, { code: 'EINVALID' })
  return bit
}

export function capabilityMask(names: readonly string[] = []): bigint {
  let mask = 0n
  for (const n of names) mask |= 1n << BigInt(capabilityBit(n))
  return mask
}

/** The names in a mask, e.g. from CapEff in /proc/<pid>/status. */
export function capabilityNames(mask: bigint): string[] {
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n)
}

/**
 * The capabilities this process may hand out: its bounding set (CapBnd). All of them on an
 * ordinary host; fewer when tocker itself runs confined (in a container, or a VM whose init
 * dropped some), where asking the kernel for more fails with EPERM. runc skips those too.
 */
export function availableCapabilities(): string[] {
  const line = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
  if (!line) throw new TockerError('cannot read CapBnd from /proc/self/status', { code: 'EINTERNAL' })
  return capabilityNames(BigInt(`0x${line[1]}`))
}
