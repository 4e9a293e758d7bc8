// A spec mount's "options" → mount(2)'s flags, its propagation change and its data string, as
// runc's parseMountOptions does: flag words become MS_* bits, propagation words a second
// mount(2) call (propagation cannot be set in the same call), anything else goes to the
// filesystem as data ("mode=755,size=65536k").
import {
  MS_BIND,
  MS_DIRSYNC,
  MS_MANDLOCK,
  MS_NOATIME,
  MS_NODEV,
  MS_NODIRATIME,
  MS_NOEXEC,
  MS_NOSUID,
  MS_NOSYMFOLLOW,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_RELATIME,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_STRICTATIME,
  MS_SYNCHRONOUS,
  MS_UNBINDABLE,
} from '../sys/mount.js'

/** option → [clear instead of set, flag] */
const FLAGS: Record<string, [boolean, number]> = {
  async: [true, MS_SYNCHRONOUS],
  atime: [true, MS_NOATIME],
  bind: [false, MS_BIND],
  defaults: [false, 0],
  dev: [true, MS_NODEV],
  diratime: [true, MS_NODIRATIME],
  dirsync: [false, MS_DIRSYNC],
  exec: [true, MS_NOEXEC],
  mand: [false, MS_MANDLOCK],
  noatime: [false, MS_NOATIME],
  nodev: [false, MS_NODEV],
  nodiratime: [false, MS_NODIRATIME],
  noexec: [false, MS_NOEXEC],
  nomand: [true, MS_MANDLOCK],
  norelatime: [true, MS_RELATIME],
  nostrictatime: [true, MS_STRICTATIME],
  nosuid: [false, MS_NOSUID],
  nosymfollow: [false, MS_NOSYMFOLLOW],
  rbind: [false, MS_BIND | MS_REC],
  relatime: [false, MS_RELATIME],
  remount: [false, MS_REMOUNT],
  ro: [false, MS_RDONLY],
  rw: [true, MS_RDONLY],
  strictatime: [false, MS_STRICTATIME],
  suid: [true, MS_NOSUID],
  sync: [false, MS_SYNCHRONOUS],
}

const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE,
  runbindable: MS_UNBINDABLE | MS_REC,
}

/** Options only runc understands, which have no meaning for the kernel. */
const IGNORED = new Set(['tmpcopyup', 'idmap', 'ridmap'])

export interface ParsedMountOptions {
  flags: number
  propagation: number
  data: string
}

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  let flags = 0
  let propagation = 0
  const data: string[] = []
  for (const o of options) {
    const f = FLAGS[o]
    if (f) {
      flags = f[0] ? flags & ~f[1] : flags | f[1]
    } else if (PROPAGATION[o] !== undefined) {
      propagation |= PROPAGATION[o]
    } else if (!IGNORED.has(o)) {
      data.push(o)
    }
  }
  return { flags, propagation, data: data.join(',') }
}

/** Flags a MS_REMOUNT|MS_BIND must repeat, or the kernel would clear them on the new mount. */
export const REMOUNT_KEPT_FLAGS = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME

/**
 * Did the options ask for device nodes to work ("dev", and no "nodev" after it)? Only then does a
 * mount keep them usable (see device-policy.ts); without either word tocker says nodev.
 */
export function allowsDevices(options: readonly string[] = []): boolean {
  for (let i = options.length - 1; i >= 0; i--) {
    if (options[i] === 'dev') return true
    if (options[i] === 'nodev') return false
  }
  return false
}

/** The propagation words, for `rootfsPropagation` ("rslave" → MS_SLAVE|MS_REC). */
export function propagationFlags(word: string): number | undefined {
  return PROPAGATION[word]
}

/** Every option word this runtime acts on (for `features`; the ignored ones are not listed). */
export const MOUNT_OPTION_NAMES: readonly string[] = [...Object.keys(FLAGS), ...Object.keys(PROPAGATION)]
