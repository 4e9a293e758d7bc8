// Which --explain phase a traced event belongs to: the first rule whose pattern matches it (by kind,
// op, detail and reporter). The phases themselves are the table in phases.ts.
import type { TraceEvent } from './trace.js'

/** The --explain phases (their titles, whys and essential lines: phases.ts). */
export type PhaseId =
  | 'registry'
  | 'layers'
  | 'create'
  | 'cgroup'
  | 'namespaces'
  | 'rootfs'
  | 'pid1'
  | 'dev'
  | 'volumes'
  | 'pivot'
  | 'join'
  | 'security'
  | 'network'
  | 'start'
  | 'stop'
  | 'cleanup'
  | 'remove'
  | 'rmi'
  | 'copy'
  | 'commit'

/** Where a rule looks: every given field must match. */
export interface EventPattern {
  kind?: TraceEvent['kind']
  op?: string | RegExp
  detail?: RegExp
  /** Reported by the shim/gate/exec'd process ("shim", "PID 1", "exec shim", "process"); '' = by the runtime itself. */
  by?: string | RegExp
}

export function matches(e: TraceEvent, p: EventPattern): boolean {
  if (p.kind !== undefined && e.kind !== p.kind) return false
  if (p.op !== undefined && !(typeof p.op === 'string' ? e.op === p.op : p.op.test(e.op))) return false
  if (p.detail !== undefined && !p.detail.test(e.detail)) return false
  if (p.by !== undefined && !(typeof p.by === 'string' ? (e.by ?? '') === p.by : p.by.test(e.by ?? ''))) return false
  return true
}

export const GATE = /^(PID 1|process)$/ // the container's first process, or exec's new one, preparing itself
const SHIM = /^(shim|exec shim)$/

/**
 * Which phase an event belongs to: the first rule that matches. `null`: never part of a phase
 * (the API round trips, shown by --explain=full only). No rule: the phase of the event before.
 */
export const RULES: { phase: PhaseId | null; when: EventPattern }[] = [
  { phase: null, when: { kind: 'api' } },
  // cp / export (engine/archive/): the in-root resolution; commit's note, then its freezer writes (engine/pause.ts)
  { phase: 'copy', when: { kind: 'note', op: 'cp' } },
  { phase: 'copy', when: { kind: 'syscall', op: 'openat2', detail: /RESOLVE_IN_ROOT: the container's "\/"/ } },
  { phase: 'commit', when: { kind: 'note', op: 'commit' } },
  // the runtime's thread going home and back (around a --step pause): machinery, not a step
  { phase: null, when: { kind: 'syscall', op: /^(setns|fchdir)$/, detail: /^(back into |saved )/ } },
  { phase: null, when: { kind: 'syscall', op: 'unshare', detail: /^CLONE_FS$/ } },
  // the engine's thread visiting a container's network namespace to make its netlink socket (sys/netlink.ts)
  { phase: 'network', when: { kind: 'syscall', op: 'setns', detail: /netlink socket/ } },
  // pull
  { phase: 'registry', when: { kind: 'note', op: 'config' } },
  { phase: 'layers', when: { kind: 'note', op: 'layer' } },
  { phase: 'layers', when: { kind: 'registry', detail: /\/blobs\/sha256:/ } },
  { phase: 'registry', when: { kind: 'registry' } },
  { phase: 'layers', when: { kind: 'fs', op: /^(rename|symlink|unpack|verify)$/ } },
  // create: the container's directory and bundle
  { phase: 'create', when: { kind: 'fs', op: /^(mkdir|write)$/, detail: /\/containers\// } },
  // stop, and what follows the exit
  { phase: 'stop', when: { kind: 'syscall', op: 'kill' } },
  { phase: 'stop', when: { kind: 'note', op: 'stop' } },
  { phase: 'cleanup', when: { kind: 'note', op: /^(exit|unmount|release)$/ } },
  { phase: 'cleanup', when: { kind: 'cgroup', op: 'rmdir' } },
  { phase: 'cleanup', when: { kind: 'net', detail: /link del |^--noflush <<< \*nat; -D |-D TOCKER/ } },
  { phase: 'remove', when: { kind: 'exec', op: 'rm' } },
  { phase: 'remove', when: { kind: 'fs', op: 'rm' } }, // a container's directory removed in-process (engine/remove-tree.ts)
  { phase: 'remove', when: { kind: 'note', op: 'remove' } },
  { phase: 'rmi', when: { kind: 'note', op: 'rmi' } },
  // cgroups (the note: how PID 1 got into its cgroup, runtime/create.ts)
  { phase: 'cgroup', when: { kind: 'cgroup' } },
  { phase: 'cgroup', when: { kind: 'note', op: 'cgroup' } },
  // exec: Node joins the container's namespaces, the shim the mount and PID ones, then forks
  { phase: 'join', when: { kind: 'syscall', op: 'setns', detail: /^\/proc\/\d+\/ns\//, by: '' } },
  { phase: 'join', when: { kind: 'exec', op: 'spawn', detail: /shim exec / } },
  { phase: 'join', when: { by: 'exec shim' } },
  // ... and the process, once born (in the container's cgroup), its cgroup namespace
  { phase: 'join', when: { op: 'setns', detail: /CLONE_NEWCGROUP/, by: 'process' } },
  // the shim, PID 1, namespaces
  { phase: 'namespaces', when: { kind: 'syscall', op: /^(unshare|setns)$/, detail: /CLONE_NEW/, by: /^(|shim|PID 1)$/ } },
  { phase: 'namespaces', when: { kind: 'syscall', op: /^(sethostname|setdomainname)$/ } },
  { phase: 'pid1', when: { kind: 'exec', op: /^(posix_spawn|spawn)$/, detail: /shim/ } },
  { phase: 'pid1', when: { kind: 'syscall', op: 'memfd_create' } },
  { phase: 'pid1', when: { op: /^(fork|clone3)$/, by: SHIM } },
  { phase: 'pid1', when: { kind: 'mount', detail: /^"proc"/ } },
  // the root filesystem
  { phase: 'rootfs', when: { kind: 'mount', detail: /^"overlay"/ } },
  { phase: 'rootfs', when: { kind: 'mount', detail: /^"", \/, "", MS_REC\|MS_(PRIVATE|SLAVE)/ } },
  { phase: 'rootfs', when: { kind: 'syscall', op: 'chdir', detail: /\/layers\/l"/ } },
  { phase: 'pivot', when: { kind: 'mount', op: /^(pivot_root|umount2)$/ } },
  // no mount namespace in the config: chroot of PID 1 instead (runtime/shared-mounts.ts)
  { phase: 'pivot', when: { kind: 'note', op: 'chroot' } },
  { phase: 'pivot', when: { op: 'chroot', by: GATE } },
  { phase: 'pivot', when: { kind: 'mount', detail: /old root/ } },
  { phase: 'pivot', when: { kind: 'syscall', op: 'fchdir', detail: /\/rootfs$/ } },
  { phase: 'pivot', when: { kind: 'syscall', op: 'chdir', detail: /^"\/"$/, by: '' } },
  // -v: a bind whose source is not the container's own directory or a device node of ours
  { phase: 'volumes', when: { kind: 'mount', detail: /^"\/(?!proc\/self\/fd\/)(?![^"]*\/containers\/[0-9a-f]{64}\/)[^"]*", \S+, "", MS_BIND/ } },
  // /dev, /sys, masked and read-only paths, the /etc files, sysctls
  { phase: 'dev', when: { kind: 'mount' } },
  { phase: 'dev', when: { kind: 'fs', op: 'mknod' } },
  // capabilities, seccomp, user, limits of the process
  { phase: 'security', when: { kind: 'exec', op: 'seccomp-compile' } },
  { phase: 'security', when: { op: /^(seccomp|prctl|capset|setresuid|setrlimit|write)$/, by: GATE } },
  // the program
  { phase: 'start', when: { op: /^(chdir|getcwd|lookup|execve)$/, by: GATE } },
  // network
  { phase: 'network', when: { kind: 'net' } },
]

/** The phase of `e` by the rules, `null` for events outside every phase, undefined when no rule places it. */
export function phaseOf(e: TraceEvent): PhaseId | null | undefined {
  for (const r of RULES) if (matches(e, r.when)) return r.phase
  return undefined
}
