// What the kernel holds for one container process, read from /proc (`tocker kernel`, --step):
// its namespaces beside the engine's own (the host's), its mount table as it sees it, its cgroup
// and that cgroup's limit and usage files, its capabilities, seccomp mode and no_new_privs.
//
// Every file here is made by the kernel, but the container shapes some of them (a privileged one
// can make its mountinfo huge and slow to generate) and its pid can end and be reused meanwhile.
// So the reads are the bounded, asynchronous ones of sys/proc-file.ts, and the process is checked
// to be the same one (pid + start time) before and after: a view of another process is an error,
// never a wrong answer.
import { promises as fsp } from 'node:fs'
import { TockerError } from '../errors.js'
import { cgroupSupport } from '../cgroups/index.js'
import { parseMountinfo, type MountEntry } from '../cgroups/mountinfo.js'
import { readProcFile } from '../sys/proc-file.js'
import { isSameProcess, processStartTime, type ProcessIdentity } from '../sys/proc-stat.js'
import { capabilityNames } from './caps.js'

/** The namespace files of /proc/<pid>/ns, in the order a learner meets them. */
export const NAMESPACE_FILES = ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup', 'user', 'time'] as const

export interface NamespaceView {
  type: (typeof NAMESPACE_FILES)[number]
  /** The inode number, as `ls -l /proc/<pid>/ns` shows it ("net:[4026532281]" → "4026532281"). */
  container: string
  host: string
}

export interface CgroupView {
  /** The cgroup v2 path the process is in (from /proc/<pid>/cgroup), relative to the cgroup2 root. */
  path: string
  /** Where that is on this host (undefined without a usable cgroup v2 mount). */
  dir?: string
  /** The container has a cgroup of its own (tocker made it: limits were asked for, or cgroup v2 is usable). */
  own: boolean
  /** Limit and usage files of its own cgroup: name → content (first line). */
  files: Record<string, string>
}

export interface ProcessStatusView {
  uid: string
  gid: string
  capEff: string
  capPrm: string
  capBnd: string
  capEffNames: string[]
  capBndNames: string[]
  /** 0 none, 1 strict, 2 filter. */
  seccomp: number
  seccompFilters: number
  noNewPrivs: boolean
}

export interface ProcessKernelView {
  pid: number
  namespaces: NamespaceView[]
  mounts: MountEntry[]
  mountsTruncated: boolean
  cgroup: CgroupView
  status: ProcessStatusView
}

/** The cgroup files shown: limits first, then what is used. */
const CGROUP_FILES = ['memory.max', 'memory.swap.max', 'memory.current', 'memory.events', 'cpu.max', 'cpu.weight', 'pids.max', 'pids.current', 'cgroup.procs']

/** Read the view of the process `id` (its pid and start time). `cgroupDir`: its own cgroup, if the runtime made one. */
export async function processKernelView(id: ProcessIdentity, o: { cgroupDir?: string } = {}): Promise<ProcessKernelView> {
  const gone = (): TockerError => new TockerError(`process ${id.pid} is not running (any more)`, { code: 'ESRCH', status: 409 })
  if (!isSameProcess(id)) throw gone()
  const [namespaces, mountinfo, status, cgroupLine] = await Promise.all([
    readNamespaces(id.pid),
    readProcFile(`/proc/${id.pid}/mountinfo`),
    readProcFile(`/proc/${id.pid}/status`, 64 * 1024),
    readProcFile(`/proc/${id.pid}/cgroup`, 64 * 1024),
  ])
  const cgroup = await readCgroup(cgroupLine.text, o.cgroupDir)
  // Read from a process that ended meanwhile, or from its successor under the same pid: say so.
  if (!isSameProcess(id)) throw gone()
  return { pid: id.pid, namespaces, mounts: parseMountinfo(mountinfo.text), mountsTruncated: mountinfo.truncated, cgroup, status: parseStatus(status.text) }
}

/** The identity of a live process now (the --step probe knows only a pid it just made). */
export function identityOf(pid: number): ProcessIdentity {
  return { pid, startTime: processStartTime(pid) ?? '' }
}

async function readNamespaces(pid: number): Promise<NamespaceView[]> {
  const inode = async (who: string, file: string): Promise<string> => {
    try {
      return /\[(\d+)\]/.exec(await fsp.readlink(`/proc/${who}/ns/${file}`))?.[1] ?? '?'
    } catch {
      return '' // this kernel has no such namespace type
    }
  }
  const out: NamespaceView[] = []
  for (const type of NAMESPACE_FILES) {
    const [container, host] = await Promise.all([inode(String(pid), type), inode('self', type)])
    if (container || host) out.push({ type, container, host })
  }
  return out
}

function parseStatus(text: string): ProcessStatusView {
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? ''
  const hex = (name: string): string => field(name) || '0'
  return {
    uid: field('Uid').split(/\s+/)[0] ?? '',
    gid: field('Gid').split(/\s+/)[0] ?? '',
    capEff: hex('CapEff'),
    capPrm: hex('CapPrm'),
    capBnd: hex('CapBnd'),
    capEffNames: capabilityNames(BigInt(`0x${hex('CapEff')}`)),
    capBndNames: capabilityNames(BigInt(`0x${hex('CapBnd')}`)),
    seccomp: Number(field('Seccomp') || 0),
    seccompFilters: Number(field('Seccomp_filters') || 0),
    noNewPrivs: field('NoNewPrivs') === '1',
  }
}

async function readCgroup(procCgroup: string, ownDir: string | undefined): Promise<CgroupView> {
  // cgroup v2's line is "0::/path" (v1 hierarchies have their own lines: never used here).
  const path = /^0::(.*)$/m.exec(procCgroup)?.[1] ?? ''
  const support = cgroupSupport()
  const dir = ownDir ?? (support.usable && support.mountpoint ? `${support.mountpoint}${path}` : undefined)
  const files: Record<string, string> = {}
  if (ownDir) {
    for (const name of CGROUP_FILES) {
      try {
        const { text } = await readProcFile(`${ownDir}/${name}`, 64 * 1024)
        files[name] = name === 'cgroup.procs' ? `${text.split('\n').filter(Boolean).length} process(es)` : name === 'memory.events' ? (/^oom_kill \d+$/m.exec(text)?.[0] ?? '') : text.split('\n')[0]
      } catch {
        // this controller is not enabled for the cgroup: no such file
      }
    }
  }
  return { path, dir, own: !!ownDir, files }
}
