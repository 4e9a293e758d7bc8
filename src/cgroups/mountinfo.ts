// Parsing /proc/self/mountinfo: how the cgroup manager finds where (and whether) cgroup v2 is mounted.
// One line per mount: "36 25 0:31 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate".
// Fields before " - " are fixed plus optional tags (shared:N, master:N); after it: fstype, source,
// super options. Paths escape space, tab, newline and backslash as octal (\040, \011, \012, \134).
import { cgroupHost } from './host.js'

export interface MountEntry {
  mountId: number
  parentId: number
  /** The path inside the filesystem that is mounted (not "/" for a bind mount or a cgroup namespace view). */
  root: string
  mountPoint: string
  /** Per-mount options, e.g. ["rw", "nosuid"]. */
  options: string[]
  fsType: string
  source: string
  /** Per-superblock options, e.g. ["rw", "nsdelegate"] for cgroup2, ["rw", "memory"] for a v1 hierarchy. */
  superOptions: string[]
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)))
}

export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const fields = line.split(' ')
    const dash = fields.indexOf('-', 6)
    if (dash < 0 || fields.length < dash + 4) continue
    entries.push({
      mountId: Number(fields[0]),
      parentId: Number(fields[1]),
      root: unescape(fields[3]),
      mountPoint: unescape(fields[4]),
      options: fields[5].split(','),
      fsType: fields[dash + 1],
      source: unescape(fields[dash + 2]),
      superOptions: fields[dash + 3].split(','),
    })
  }
  return entries
}

export function readMountinfo(): MountEntry[] {
  return parseMountinfo(cgroupHost().mountinfo())
}
