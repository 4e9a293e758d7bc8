// cgroup v2 is a filesystem: a cgroup is a directory, a setting is a file, and the kernel checks each
// write on the spot (a bad value fails the write() itself with EINVAL, a busy one with EBUSY). Every
// change goes through here: guarded against v1 and shown by `tocker --explain`.
import { traced } from '../trace/trace.js'
import { assertOnCgroup2 } from './guard.js'
import { cgroupHost } from './host.js'

/**
 * Write `value` to a cgroup interface file. Opened O_WRONLY without O_CREAT or O_TRUNC: interface
 * files cannot be created, and one write() is one request to the kernel (a single write of
 * "+cpu +memory" enables both controllers or neither).
 */
export function writeCgroupFile(path: string, value: string): void {
  assertOnCgroup2(path, 'write')
  traced('cgroup', 'write', () => `${path} ← ${value}`, () => cgroupHost().write(path, value))
}

export function readCgroupFile(path: string): string {
  return cgroupHost().read(path)
}

/** mkdir in cgroupfs creates a cgroup: the kernel fills the directory with its interface files. */
export function makeCgroupDir(path: string): void {
  assertOnCgroup2(path, 'mkdir')
  traced('cgroup', 'mkdir', () => path, () => cgroupHost().mkdir(path))
}

/** rmdir removes a cgroup; it fails with EBUSY while processes (or child cgroups) remain. */
export function removeCgroupDir(path: string): void {
  assertOnCgroup2(path, 'rmdir')
  traced('cgroup', 'rmdir', () => path, () => cgroupHost().rmdir(path))
}

/** "key value" lines (memory.events, cpu.stat, pids.events) as a map of numbers. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/)
    if (key && value !== undefined) out[key] = value === 'max' ? Infinity : Number(value)
  }
  return out
}

/** Block the (main) thread for `ms` without spinning: the cgroup code is synchronous on purpose. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}
