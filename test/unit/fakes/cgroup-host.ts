// A fake cgroup v2 filesystem under a temp dir, behind the cgroup manager's host seam
// (src/cgroups/host.ts), for unit tests without root. It behaves like cgroupfs where the manager
// depends on it: mkdir makes a cgroup with its interface files (cgroup.controllers = what the parent
// delegates in cgroup.subtree_control, plus each delegated controller's files); a write goes only
// to an existing file and is checked (enabling a controller the cgroup does not have: ENOENT; a
// malformed limit: EINVAL; enabling controllers in a non-root cgroup that holds processes: EBUSY);
// rmdir of a cgroup with processes or children: EBUSY; cgroup.kill empties the subtree. Pids are
// only numbers written to cgroup.procs: kill() records and never signals anything. The mount table
// lists this dir as the cgroup2 mount; everything outside it is the real filesystem, where the
// manager's v1 guard keeps working (a `v1` dir inside reports the v1 magic, to test the guard).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync, existsSync } from 'node:fs'
import { constants, tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import type { Test } from 'tap'
import { CGROUP2_SUPER_MAGIC, CGROUP_SUPER_MAGIC } from '../../../src/cgroups/guard.js'
import { useCgroupHost, type CgroupHost } from '../../../src/cgroups/host.js'

const CONTROLLER_FILES: Record<string, Record<string, string>> = {
  memory: { 'memory.max': 'max', 'memory.swap.max': 'max', 'memory.current': '0', 'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n' },
  cpu: { 'cpu.max': 'max 100000', 'cpu.weight': '100', 'cpu.stat': 'usage_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n' },
  pids: { 'pids.max': 'max', 'pids.current': '0', 'pids.events': 'max 0\n' },
}

function errno(code: keyof typeof constants.errno, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, errno: -constants.errno[code], syscall, path })
}

export class FakeCgroupHost implements CgroupHost {
  readonly root: string
  /** Every change, relative to the root: "mkdir tocker", "write tocker/c1/memory.max 67108864", "rmdir …", "kill 123 SIGKILL". */
  readonly log: string[] = []
  #failures: { match: (file: string, value: string) => boolean; code: keyof typeof constants.errno }[] = []

  constructor(
    readonly opts: {
      /** What the root offers (cgroup.controllers); hybrid hosts offer none of memory/cpu/pids. */
      controllers?: string[]
      /** CONFIG_MEMCG_SWAP: memory.swap.max exists. */
      swap?: boolean
      /** cgroup.kill (Linux 5.14). */
      killFile?: boolean
      /** Extra mountinfo lines (v1 hierarchies of a hybrid host). */
      mountinfo?: string[]
    } = {},
  ) {
    this.root = mkdtempSync(join(tmpdir(), 'tocker-unit-cgroupfs-'))
    writeFileSync(join(this.root, 'cgroup.controllers'), (opts.controllers ?? ['cpuset', 'cpu', 'io', 'memory', 'pids']).join(' ') + '\n')
    writeFileSync(join(this.root, 'cgroup.subtree_control'), '\n')
    writeFileSync(join(this.root, 'cgroup.procs'), '1\n') // the root holds processes (and is exempt)
  }

  install(t: Test): this {
    t.teardown(useCgroupHost(this))
    t.teardown(() => rmSync(this.root, { recursive: true, force: true }))
    return this
  }

  /** The next write matching `match` fails with `code`. */
  failOn(match: (file: string, value: string) => boolean, code: keyof typeof constants.errno): void {
    this.#failures.push({ match, code })
  }

  /** Paths relative to the root, for assertions. */
  rel(path: string): string {
    return relative(this.root, path) || '.'
  }

  /** An interface file's content (relative path). */
  file(rel: string): string {
    return readFileSync(join(this.root, rel), 'utf8')
  }

  #inside(path: string): boolean {
    return path === this.root || path.startsWith(this.root + '/')
  }

  magic(path: string): number {
    if (!this.#inside(path)) return Number(statfsSync(path).type)
    if (!existsSync(path)) throw errno('ENOENT', 'statfs', path)
    return this.rel(path).split('/')[0] === 'v1' ? CGROUP_SUPER_MAGIC : CGROUP2_SUPER_MAGIC
  }

  read(path: string): string {
    // What a cgroup may use is what its parent delegates now (the kernel computes it on each read).
    if (path.endsWith('/cgroup.controllers') && dirname(path) !== this.root && this.#inside(path) && existsSync(path)) return this.read(join(dirname(dirname(path)), 'cgroup.subtree_control'))
    return readFileSync(path, 'utf8')
  }

  write(path: string, value: string): void {
    const file = this.rel(path)
    const f = this.#failures.findIndex((x) => x.match(file, value))
    if (f >= 0) throw errno(this.#failures.splice(f, 1)[0]!.code, 'write', path)
    if (!existsSync(path)) throw errno('ENOENT', 'open', path) // interface files cannot be created
    const dir = dirname(path)
    const name = path.slice(dir.length + 1)
    if (name === 'cgroup.subtree_control') {
      const have = this.read(join(dir, 'cgroup.controllers')).trim().split(/\s+/)
      const enabled = new Set(this.read(path).trim().split(/\s+/).filter(Boolean))
      const asked = value.trim().split(/\s+/)
      if (asked.some((w) => !/^[+-]\w+$/.test(w))) throw errno('EINVAL', 'write', path)
      if (asked.some((w) => w[0] === '+' && !have.includes(w.slice(1)))) throw errno('ENOENT', 'write', path)
      if (dir !== this.root && this.read(join(dir, 'cgroup.procs')).trim()) throw errno('EBUSY', 'write', path) // no internal processes
      for (const w of asked) {
        if (w[0] === '+') enabled.add(w.slice(1))
        else enabled.delete(w.slice(1))
      }
      writeFileSync(path, [...enabled].join(' ') + '\n')
    } else if (name === 'cgroup.procs') {
      if (!/^\d+$/.test(value)) throw errno('EINVAL', 'write', path)
      writeFileSync(path, this.read(path) + value + '\n')
      this.#events(dir, 'populated', 1)
    } else if (name === 'cgroup.kill') {
      for (const d of this.#subtree(dir)) writeFileSync(join(d, 'cgroup.procs'), '')
      this.#events(dir, 'populated', 0)
    } else if (name === 'cgroup.freeze') {
      this.#events(dir, 'frozen', Number(value))
      writeFileSync(path, value)
    } else {
      const ok = /^(max|\d+)$/.test(value) || (name === 'cpu.max' && /^(max|\d+) \d+$/.test(value))
      if (!ok || (name === 'cpu.weight' && (Number(value) < 1 || Number(value) > 10000))) throw errno('EINVAL', 'write', path)
      writeFileSync(path, value + '\n')
    }
    this.log.push(`write ${file} ${value}`)
  }

  mkdir(path: string, opts?: { recursive?: boolean }): void {
    if (opts?.recursive && existsSync(path)) return
    if (!opts?.recursive && existsSync(path)) throw errno('EEXIST', 'mkdir', path)
    if (opts?.recursive && !existsSync(dirname(path))) this.mkdir(dirname(path), opts)
    mkdirSync(path)
    this.log.push(`mkdir ${this.rel(path)}`)
    if (!this.#inside(path)) return
    const delegated = this.read(join(dirname(path), 'cgroup.subtree_control')).trim().split(/\s+/).filter(Boolean)
    writeFileSync(join(path, 'cgroup.controllers'), delegated.join(' ') + '\n')
    writeFileSync(join(path, 'cgroup.subtree_control'), '\n')
    writeFileSync(join(path, 'cgroup.procs'), '')
    writeFileSync(join(path, 'cgroup.events'), 'populated 0\nfrozen 0\n')
    writeFileSync(join(path, 'cgroup.freeze'), '0')
    if (this.opts.killFile !== false) writeFileSync(join(path, 'cgroup.kill'), '')
    for (const c of delegated) {
      for (const [file, content] of Object.entries(CONTROLLER_FILES[c] ?? {})) {
        if (file === 'memory.swap.max' && this.opts.swap === false) continue
        writeFileSync(join(path, file), content)
      }
    }
  }

  rmdir(path: string): void {
    if (!existsSync(path)) throw errno('ENOENT', 'rmdir', path)
    if (this.subdirs(path).length || this.read(join(path, 'cgroup.procs')).trim()) throw errno('EBUSY', 'rmdir', path)
    rmSync(path, { recursive: true }) // the kernel takes the interface files with the cgroup
    this.log.push(`rmdir ${this.rel(path)}`)
  }

  exists(path: string): boolean {
    return existsSync(path)
  }

  subdirs(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
  }

  mountinfo(): string {
    return [`35 24 0:30 / ${this.root} rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate`, ...(this.opts.mountinfo ?? [])].join('\n') + '\n'
  }

  /** As the kernel: the cgroup whose cgroup.procs holds `pid` ("0::/" for any other process). */
  procCgroup(pid: number): string {
    const dir = this.#subtree(this.root).find((d) => d !== this.root && this.read(join(d, 'cgroup.procs')).split('\n').includes(String(pid)))
    return `0::/${dir ? this.rel(dir) : ''}\n`
  }

  kill(pid: number, signal: NodeJS.Signals): void {
    this.log.push(`kill ${pid} ${signal}`)
    // The process "dies": it leaves every cgroup.procs of the fake.
    for (const d of this.#subtree(this.root)) {
      const procs = this.read(join(d, 'cgroup.procs')).split('\n').filter((p) => p && p !== String(pid))
      writeFileSync(join(d, 'cgroup.procs'), procs.map((p) => p + '\n').join(''))
      if (d !== this.root && !procs.length) this.#events(d, 'populated', 0)
    }
  }

  #subtree(dir: string): string[] {
    return [dir, ...this.subdirs(dir).flatMap((n) => this.#subtree(join(dir, n)))]
  }

  #events(dir: string, key: string, value: number): void {
    const p = join(dir, 'cgroup.events')
    if (!existsSync(p)) return
    writeFileSync(p, this.read(p).replace(new RegExp(`^${key} \\d+$`, 'm'), `${key} ${value}`))
  }
}
