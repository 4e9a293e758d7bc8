// The seam between the cgroup manager and the kernel's cgroup filesystem: every read, write, mkdir
// and rmdir in cgroupfs, the statfs that tells cgroup2 from v1, the mount table, which cgroup a
// process is in, and the signal
// that kills what is left in a cgroup on an old kernel (libcgroups' test_manager.rs in youki plays
// the same part). The real one is `linuxCgroupHost`; unit tests install a fake cgroupfs under a
// temp dir (test/unit/fakes/cgroup-host.ts) that makes the interface files as the kernel does and
// checks writes the same way, so the manager's logic (limits → files, the parent cgroup, controller
// delegation, clean-up on failure, the v1 guard) runs without root. files.ts traces above it, so
// `--explain` and the tests see the same writes. Installed, not passed down (see src/sys/syscalls.ts).
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, statfsSync, writeSync, constants as fsConstants } from 'node:fs'
import { seam } from '../sys/seam.js'

export interface CgroupHost {
  /** statfs(2)'s f_type of the filesystem `path` is on (throws ENOENT for a missing path). */
  magic(path: string): number
  read(path: string): string
  /** One write(2) to an existing interface file (O_WRONLY, no O_CREAT, no O_TRUNC). */
  write(path: string, value: string): void
  mkdir(path: string, opts?: { recursive?: boolean }): void
  rmdir(path: string): void
  exists(path: string): boolean
  /** The names of the directories (child cgroups) in `dir`. */
  subdirs(dir: string): string[]
  /** /proc/self/mountinfo */
  mountinfo(): string
  /** /proc/<pid>/cgroup: the cgroups process `pid` is in ("0::/tocker/<id>" for cgroup v2). */
  procCgroup(pid: number): string
  kill(pid: number, signal: NodeJS.Signals): void
}

export const linuxCgroupHost: CgroupHost = {
  magic: (path) => Number(statfsSync(path).type),
  read: (path) => readFileSync(path, 'utf8'),
  write(path, value) {
    const fd = openSync(path, fsConstants.O_WRONLY)
    try {
      writeSync(fd, value)
    } finally {
      closeSync(fd)
    }
  },
  mkdir: (path, opts) => void mkdirSync(path, opts),
  rmdir: (path) => rmdirSync(path),
  exists: (path) => existsSync(path),
  subdirs: (dir) => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name),
  mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'),
  procCgroup: (pid) => readFileSync(`/proc/${pid}/cgroup`, 'utf8'),
  kill: (pid, signal) => void process.kill(pid, signal),
}

const installed = seam<CgroupHost>(linuxCgroupHost)

/** The cgroupfs the manager works on (linuxCgroupHost unless a test installed a fake). */
export const cgroupHost = installed.get

/** Install a fake cgroupfs until the returned function is called (tests only). */
export const useCgroupHost = installed.use
