// What the runtime tests share: OCI bundles made of the static busybox (Debian's busybox-static),
// a state root in a temp dir, running a container with its output in a file, and the checks that
// nothing was left behind (state dirs, shim processes, mounts).
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultSpec } from '../../src/runtime/default-spec.js'
import { runContainer, type CreateOptions } from '../../src/runtime/container.js'
import type { Spec } from '../../src/runtime/spec.js'

export const APPLETS = ['sh', 'ls', 'ps', 'cat', 'id', 'hostname', 'true', 'false', 'sleep', 'echo', 'touch', 'mkdir', 'rm', 'readlink', 'grep', 'wc', 'stat', 'head', 'mknod', 'chmod', 'chown', 'tty']

/** A temp dir under /tmp (ext4 here) named so the suite's leak check would see it left behind. */
export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `tocker-test-runtime-${tag}-`))
}

/** A root filesystem with busybox and its applets in /bin, and /etc/passwd and /etc/group. */
export function busyboxRootfs(dir: string, extra: { passwd?: string; group?: string } = {}): string {
  mkdirSync(join(dir, 'bin'), { recursive: true })
  mkdirSync(join(dir, 'etc'), { recursive: true })
  mkdirSync(join(dir, 'tmp'), { recursive: true, mode: 0o1777 })
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'))
  chmodSync(join(dir, 'bin/busybox'), 0o755)
  for (const a of APPLETS) symlinkSync('busybox', join(dir, 'bin', a))
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' + (extra.passwd ?? ''))
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n' + (extra.group ?? ''))
  writeFileSync(join(dir, 'etc/hostname'), 'image\n')
  return dir
}

/** A bundle dir with config.json from `spec` (default: Docker's defaults running `args`) and rootfs/ of busybox. */
export function makeBundle(parent: string, name: string, args: string[], edit?: (s: Spec) => void, rootfs = true): string {
  const bundle = join(parent, name)
  mkdirSync(bundle, { recursive: true })
  if (rootfs) busyboxRootfs(join(bundle, 'rootfs'))
  const spec = defaultSpec(args)
  spec.hostname = 'tocker-test'
  edit?.(spec)
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2))
  return bundle
}

export function readSpec(bundle: string): Spec {
  return JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec
}

export interface RunResult {
  code: number
  out: string
}

/** Run a container to its end through the library; stdout and stderr go to one file, returned. */
export async function runCaptured(opts: Omit<CreateOptions, 'stdio'>, outDir: string): Promise<RunResult> {
  const file = join(outDir, `${opts.id}.out`)
  const fd = openSync(file, 'w')
  try {
    const code = await runContainer({ ...opts, stdio: { stdin: 'ignore', stdout: fd, stderr: fd } })
    return { code, out: readFileSync(file, 'utf8') }
  } finally {
    closeSync(fd)
  }
}

/** Shim processes started for this state root (their command line names it). */
export function shimsOf(stateRoot: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmd.includes('native-shims/out/shim') && cmd.includes(stateRoot)) found.push(pid)
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/** Host mounts that mention `path` (a container's mounts must never show up here). */
export function hostMountsUnder(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(path))
}

export function stateDirs(stateRoot: string): string[] {
  try {
    return readdirSync(stateRoot)
  } catch {
    return []
  }
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
