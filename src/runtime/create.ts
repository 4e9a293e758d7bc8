// runc's create, step by step (the numbers appear in comments below):
//   1. read and check the bundle; make the state dir (atomically: the id is ours) and the cgroup
//   2. Node's main thread enters new mount/UTS/IPC/network namespaces (unshare), makes / private,
//      sets the hostname and mounts the root filesystem
//   3. it spawns the shim, which unshares a PID namespace and forks the gate, PID 1 there
//   4. the gate joins the cgroup and its own cgroup namespace; the spec's mounts are made
//      (/proc and cgroup2 by the gate), then /dev, sysctls, masked and read-only paths
//   5. pivot_root into the rootfs (the shim and gate are re-rooted with it), old root detached
//   6. the main thread setns()es back home; the gate gets the process spec and prepares it
// start then releases the gate through <state>/start.sock, and it execve's the user's program.
// If anything fails, everything made so far is undone: the gate is killed (its PID namespace and,
// once the shim is gone too, its mount namespace with every mount in it disappear), the cgroup
// and the state dir are removed. Nothing of a container is ever mounted in the host's namespace,
// except when its config has no mount namespace at all (runc allows it: it shares the caller's):
// then steps 2-5 mount in the caller's namespace under a private rootfs mount, PID 1 chroot()s
// instead of pivot_root, and delete (or a failed create) unmounts the tree (shared-mounts.ts).
import { Socket } from 'node:net'
import { closeSync, unlinkSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TockerError } from '../errors.js'
import { sethostname, setdomainname } from '../sys/ns.js'
import { kill as sysKill } from '../sys/proc.js'
import { mount } from '../sys/mount.js'
import { checkedBundle, loadBundle, type Bundle } from './bundle.js'
import { makeContainerCgroup } from './cgroup.js'
import { createDevices, createDevSymlinks, DEFAULT_DEVICES } from './devices.js'
import { maskPaths, readonlyPaths } from './masks.js'
import { mountAll } from './mounts.js'
import { propagationFlags } from './mount-options.js'
import { enterNamespaces, joinNamespace, NAMESPACES, namespaceOf, privateNamespace, restoreNamespaces, saveNamespaces, warmThreadpool, type SavedNamespaces } from './namespaces.js'
import { encodeHooks, hookState, runHooks } from './hooks.js'
import { appArmorProfile } from './apparmor.js'
import { timeOffsetsText } from './timens.js'
import { rootfsNeedsIdmap, ROOTFS_IDMAP_ANNOTATION, startUserNamespace, type UserNamespace } from './userns.js'
import { idmappedMount } from '../sys/mount.js'
import { asFsOwner } from '../sys/creds.js'
import { pivotRoot } from './pivot.js'
import { encodeProcess, processEnv, rlimitTriples } from './process-spec.js'
import { compileSeccomp, seccompHandover } from './seccomp/compile.js'
import { RootDir } from './root-dir.js'
import { makeRootPrivate, mountRootfs, remountRootReadonly } from './rootfs.js'
import { INHERIT_STDIO, shimTraceArgs, spawnCreateShim, type CreateChannel } from './shim.js'
import { isTracing, note } from '../trace/trace.js'
import type { PhaseId } from '../trace/phases.js'
import { stepPause, stepping } from '../trace/step.js'
import { OCI_VERSION } from './spec.js'
import { processStartTime } from '../sys/proc-stat.js'
import { recordSharedRoot, sharedRootMounted, unmountSharedRoot } from './shared-mounts.js'
import { makeStateDir, removeStateDir, stateDir, writeState, type ExitStatus, type StoredState } from './state.js'
import { applySysctls, checkSysctl } from './sysctl.js'
import { resolveUser } from './user.js'
import { stateRootOf, type Container, type CreateOptions, type RuntimeOptions } from './options.js'
import { runPoststart, startContainer, waitForExit } from './operations.js'

/**
 * `checked`: wait for the gate to accept the process (the program exists, the user and cwd
 * work), so that create reports those errors. run skips the wait: start's answer carries them.
 */
export async function create(opts: CreateOptions, checked: boolean): Promise<Container> {
  // 1. Everything that can be checked without touching the kernel, first.
  const bundle: Bundle = typeof opts.bundle === 'string' ? loadBundle(opts.bundle) : checkedBundle(opts.bundle.path, opts.bundle.spec)
  const { spec } = bundle
  const proc = spec.process!
  const namespaces = spec.linux?.namespaces ?? []
  // A mount namespace of its own or one given by path (runc's linux_ns_path case: the rootfs is set
  // up, and pivot_root done, in that namespace, which the caller made for the container); or none,
  // sharing the caller's (shared-mounts.ts).
  const sharedMnt = !namespaceOf(namespaces, 'mount')
  if (sharedMnt && namespaceOf(namespaces, 'user')) throw new TockerError('a user namespace needs a mount namespace with it (add a "mount" entry to linux.namespaces)', { code: 'EINVALID' })
  // Private: new, or joined by path but not the runtime's own (runc refuses the host's for these).
  const newNet = privateNamespace(namespaces, 'network')
  const newIpc = privateNamespace(namespaces, 'ipc')
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) checkSysctl(key, newNet, newIpc)
  const newUts = privateNamespace(namespaces, 'uts')
  if ((spec.hostname || spec.domainname) && !newUts) throw new TockerError('unable to set hostname without a private UTS namespace', { code: 'EINVALID' })
  if (proc.terminal && !opts.log?.tty && !opts.consoleSocket) {
    throw new TockerError('cannot allocate tty if runc will detach without setting console socket', { code: 'EINVALID' })
  }
  if (!proc.terminal && opts.consoleSocket) throw new TockerError('cannot use console socket if runc will not detach or allocate tty', { code: 'EINVALID' })
  const timeOffsets = timeOffsetsText(spec)
  const propagation = spec.linux?.rootfsPropagation ? propagationFlags(spec.linux.rootfsPropagation) : undefined
  if (spec.linux?.rootfsPropagation && propagation === undefined) throw new TockerError(`invalid rootfsPropagation "${spec.linux.rootfsPropagation}"`, { code: 'EINVALID' })

  await warmThreadpool()
  const seccomp = spec.linux?.seccomp
  const filter = seccomp ? await compileSeccomp(seccomp) : undefined
  const stateRoot = stateRootOf(opts)
  const dir = makeStateDir(stateRoot, opts.id)
  let exitFd: number | undefined
  let channel: CreateChannel | undefined
  let gatePid = 0
  let shimPid = 0
  let cgroup: ReturnType<typeof makeContainerCgroup>
  let userns: UserNamespace | undefined
  /** Without a mount namespace of its own: where its root is mounted in ours, once recorded. */
  let sharedRoot: string | undefined
  try {
    cgroup = makeContainerCgroup(opts.id, spec.linux, { disabled: opts.cgroupsDisabled, systemd: opts.systemdCgroup, warn: opts.warn })
    // A user namespace: its holder makes it and the new namespaces it owns (userns.ts); from here
    // on those are joined by path like any other.
    userns = startUserNamespace(spec)
    const nsList = userns ? namespaces.map((n) => (userns!.paths[n.type] ? { type: n.type, path: userns!.paths[n.type] } : n)) : namespaces
    // The ones this thread joins (pid, time: the shim's; cgroup: the gate's; user: see userns.ts).
    const joinedNs = namespaces.filter((n) => n.type !== 'pid' && n.type !== 'cgroup' && n.type !== 'time' && n.type !== 'user')
    // Where the main thread goes back to; undefined while it is at home (hooks, a --step pause).
    let saved: SavedNamespaces | undefined = saveNamespaces(joinedNs.map((n) => n.type))
    const step = stepping()
    /**
     * --step: pause after a phase with the main thread at home, then come back through PID 1's
     * namespace files (/proc/<pid>/ns/*): nothing else may run on this thread while it is inside
     * the container's namespaces, and a pause lets the engine serve other requests meanwhile.
     */
    const pauseOutside = async (phase: PhaseId): Promise<void> => {
      restoreNamespaces(saved!)
      saved = undefined
      await stepPause(phase, { pid: gatePid, cgroupPath: cgroup?.path })
      saved = saveNamespaces(joinedNs.map((n) => n.type))
      for (const n of joinedNs) {
        const path = `/proc/${gatePid}/ns/${NAMESPACES[n.type].file}`
        joinNamespace(n.type, path, `back into ${path} after the --step pause`)
      }
    }
    let encoded: Buffer
    try {
      // 2. The main thread moves into the container's namespaces: synchronous code only until
      //    restoreNamespaces (see namespaces.ts).
      enterNamespaces(nsList)

      // 3. PID 1, by way of the shim (Node cannot fork). It inherits our namespaces. It is
      //    started first so that it gets going on the other CPU while we mount the rootfs.
      const pidNs = namespaceOf(nsList, 'pid')
      const args = ['create', '--state-dir', dir]
      // No pid entry: share ours, by "joining" the namespace we are in.
      if (!pidNs || pidNs.path) args.push('--pidns', pidNs?.path ?? `/proc/${process.pid}/ns/pid`)
      const timeNs = namespaceOf(namespaces, 'time')
      if (timeNs) args.push('--timens', timeNs.path ?? 'new')
      if (timeOffsets) args.push('--timens-offsets', timeOffsets)
      // In a user namespace PID 1 is born inside it (the shim's fork_gate_in_userns): the shim
      // sets what needs the host's CAP_SYS_RESOURCE on it from outside.
      if (userns) {
        const limits = rlimitTriples(proc)
        if (limits.length) args.push('--prlimits', limits.map((l) => l.join(':')).join(','))
        if (proc.oomScoreAdj !== undefined) args.push('--oom-score-adj', String(proc.oomScoreAdj))
      }
      if (opts.log) {
        args.push('--stdio', opts.log.tty ? 'tty' : 'pipes', '--log-dir', opts.log.dir, '--log-name', opts.log.name)
        if (opts.log.stdinFifo) args.push('--stdin-fifo', opts.log.stdinFifo, '--stdin-once', opts.log.stdinOnce ? '1' : '0')
        if (opts.log.resizeFifo) args.push('--resize-fifo', opts.log.resizeFifo)
        if (opts.log.tty && opts.log.ttySize?.rows && opts.log.ttySize.cols) args.push('--tty-size', `${opts.log.ttySize.rows}x${opts.log.ttySize.cols}`)
        if (opts.log.maxSize) args.push('--log-max-size', opts.log.maxSize)
        if (opts.log.maxFile) args.push('--log-max-file', String(opts.log.maxFile))
        if (opts.log.pinFiles) args.push('--log-pin-files', String(opts.log.pinFiles))
      }
      // PID 1 is born in its cgroup where the kernel can (the shim's cgroup-fork.c): no move, no
      // RCU grace period to wait for. Not in a user namespace: the gate is forked inside it there.
      if (cgroup && !userns) args.push('--cgroup', cgroup.path)
      if (opts.parent === 'caller') args.push('--parent', 'caller')
      if (opts.consoleSocket) args.push('--console-socket', opts.consoleSocket)
      args.push(...shimTraceArgs())
      const stdio = opts.log ? { stdin: 'ignore' as const, stdout: 'ignore' as const, stderr: 'ignore' as const } : opts.stdio ?? INHERIT_STDIO
      ;({ channel, exitFd } = spawnCreateShim(args, stdio, opts.preserveFds, userns?.fd))
      // --explain: hear the shim's PID namespace and fork now, so they are told in the order they happened.
      if (isTracing() || step) ({ pid: gatePid, shimPid } = channel.expectPids())

      // The caller's mount namespace keeps its propagation: only our rootfs mount is made private.
      if (!sharedMnt) makeRootPrivate()
      if (spec.hostname) sethostname(spec.hostname)
      if (spec.domainname) setdomainname(spec.domainname)
      if (step) await pauseOutside('namespaces')
      if (sharedMnt) sharedRoot = recordSharedRoot(dir, bundle.rootfs)
      mountRootfs(bundle.rootfs, bundle.overlay)
      if (sharedMnt) sharedRootMounted(dir, bundle.rootfs)
      if (userns && rootfsNeedsIdmap(bundle.rootfs, userns, spec.annotations?.[ROOTFS_IDMAP_ANNOTATION])) idmappedMount(bundle.rootfs, bundle.rootfs, userns.fd, false)
      if (step) await pauseOutside('rootfs')

      // 4. The gate is in the cgroup before anything else happens in there (born in it, or moved
      //    in now), then enters its cgroup namespace, whose root is the cgroup the gate is in at
      //    that moment. Done when the gate is first needed for it (a cgroup mount), or after the
      //    mounts: until then the gate gets ready on its own while we mount.
      const ch = channel
      const cgroupNs = namespaceOf(namespaces, 'cgroup')
      let joined = false
      const joinCgroup = (): void => {
        if (joined) return
        joined = true
        const made = ch.expectPids()
        ;({ pid: gatePid, shimPid } = made)
        if (cgroup) placeGate(cgroup, gatePid, made.cgroup)
        if (cgroupNs) ch.cgroupNamespace(cgroupNs.path)
      }

      // In a user namespace, what we make in the rootfs is the container root's (src/sys/creds.ts).
      const owner = userns ? { uid: userns.uid(0), gid: userns.gid(0) } : undefined
      const asOwner = <T>(fn: () => T): T => (owner?.uid !== undefined && owner.gid !== undefined ? asFsOwner(owner.uid, owner.gid, fn) : fn())
      const rootDir = RootDir.open(bundle.rootfs)
      try {
        encoded = asOwner(() => {
          rootDir.makeWorkingDir(proc.cwd)
          const made = mountAll({ root: rootDir, bundle: bundle.path, gate: ch, beforeCgroupMount: joinCgroup, userns }, spec.mounts ?? [])
          let devNull: string | undefined
          if (made.devTmpfs) {
            devNull = createDevices(rootDir, [...DEFAULT_DEVICES, ...(spec.linux?.devices ?? [])], userns)
            createDevSymlinks(rootDir, made.devPts)
          } else if (spec.linux?.devices?.length) {
            devNull = createDevices(rootDir, spec.linux.devices, userns)
          }
          // The user's name means what the container's /etc/passwd says (read inside its root).
          const user = resolveUser(proc.user, (p) => rootDir.readFile(p))
          joinCgroup()
          const hookBase = { ociVersion: spec.ociVersion || OCI_VERSION, id: opts.id, pid: gatePid, bundle: bundle.path, annotations: spec.annotations }
          const encodedProcess = encodeProcess(proc, user, processEnv(proc, user), filter, {
            terminal: proc.terminal && opts.consoleSocket ? { rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0, console: true } : undefined,
            keyring: opts.noNewKeyring ? undefined : `_ses.${opts.id}`,
            apparmor: appArmorProfile(proc.apparmorProfile, opts.warn),
            startHooks: encodeHooks(spec.hooks?.startContainer, hookState(hookBase, 'created')),
          })
          ch.expectPidAndReady()
          ch.flush() // the gate's mounts (/proc, cgroup2) are done before anything looks into them
          applySysctls(rootDir, spec.linux?.sysctl ?? {}, newNet, newIpc)
          maskPaths(rootDir, spec.linux?.maskedPaths ?? [], devNull)
          readonlyPaths(rootDir, spec.linux?.readonlyPaths ?? [])
          return encodedProcess
        })
        if (step) await pauseOutside('dev')
      } finally {
        rootDir.close()
      }
      if (spec.root?.readonly) remountRootReadonly(bundle.rootfs)

      // Hooks before pivot_root: prestart and createRuntime in the runtime's namespaces (our
      // thread goes home for them and comes back into the container's mount namespace, which
      // the gate keeps alive meanwhile), createContainer in the container's, by the gate.
      const hooks = spec.hooks ?? {}
      if (hooks.prestart?.length || hooks.createRuntime?.length || hooks.createContainer?.length) {
        const base = { ociVersion: spec.ociVersion || OCI_VERSION, id: opts.id, pid: gatePid, bundle: bundle.path, annotations: spec.annotations }
        const state = hookState(base, 'creating')
        if (hooks.prestart?.length || hooks.createRuntime?.length) {
          restoreNamespaces(saved)
          saved = undefined
          // prestart (deprecated) sees "created", as with crun and as the OCI validation suite's
          // hooks_stdin expects; createRuntime/createContainer see "creating", as with runc.
          runHooks('prestart', hooks.prestart, hookState(base, 'created'))
          runHooks('createRuntime', hooks.createRuntime, state)
          if (!sharedMnt) {
            saved = saveNamespaces(['mount'])
            joinNamespace('mount', `/proc/${gatePid}/ns/mnt`)
          }
        }
        if (hooks.createContainer?.length) channel.runHooks(encodeHooks(hooks.createContainer, state))
      }

      // 5. The rootfs becomes "/" for the whole mount namespace. Without a mount namespace of its
      //    own, for PID 1 alone (chroot: pivot_root would re-root every process of the caller's).
      if (sharedMnt) {
        if (propagation !== undefined) mount(null, bundle.rootfs, null, propagation, null)
        note('chroot', 'explain.note.chroot')
        channel.chroot(bundle.rootfs)
      } else {
        pivotRoot(bundle.rootfs)
        if (propagation !== undefined) mount(null, '/', null, propagation, null)
      }
      // The gate prepares the process (user, capabilities, cwd, finding the program, compiling
      // the seccomp filter) while we go home and save the state; its answer is read below.
      if (seccomp && filter) channel.describeNext('seccomp', seccompHandover(seccomp, filter, !!proc.noNewPrivileges))
      // (--step: after the pause below, so that the pause shows pivot_root alone.)
      if (!step) channel.sendSpecLater(encoded)
    } finally {
      // 6. Home again, whatever happened.
      if (saved) restoreNamespaces(saved)
    }
    const st: StoredState = {
      ociVersion: spec.ociVersion || OCI_VERSION,
      id: opts.id,
      pid: gatePid,
      pidStartTime: String(processStartTime(gatePid) ?? ''),
      shimPid,
      shimStartTime: String(processStartTime(shimPid) ?? ''),
      bundle: bundle.path,
      rootfs: bundle.rootfs,
      created: new Date().toISOString(),
      owner: userInfo().username,
      annotations: spec.annotations,
      cgroupPath: cgroup?.path,
      process: { ...proc, terminal: false },
      seccomp: spec.linux?.seccomp,
      parent: opts.parent === 'caller' ? 'caller' : undefined,
      keyring: opts.noNewKeyring ? undefined : `_ses.${opts.id}`,
      hooks: spec.hooks?.poststart?.length || spec.hooks?.poststop?.length ? { poststart: spec.hooks.poststart, poststop: spec.hooks.poststop } : undefined,
    }
    // The state goes to disk, then the gate hears it may outlive us (it waits for `start`):
    // whoever finds it must know what it is. Should we die before that (the spec may already be
    // with it), the end of file on the control socket makes the gate exit (gate.c state_saved).
    writeState(stateRoot, st)
    channel.stateSaved()
    if (step) {
      await stepPause('pivot', { pid: gatePid, cgroupPath: cgroup?.path })
      channel.sendSpec(encoded)
      await stepPause('security', { pid: gatePid, cgroupPath: cgroup?.path })
    }
    if (checked) channel.flush()
    userns?.close()
    return handle(stateRoot, st, channel, exitFd, opts)
  } catch (err) {
    userns?.close()
    channel?.close()
    // What a create without a mount namespace mounted in ours goes first (its record is in the
    // state dir, which undoCreate removes). The create's own error is the one reported.
    if (sharedRoot) {
      try {
        unmountSharedRoot(dir, opts.warn ?? (() => {}))
      } catch (undoErr) {
        const also = `cannot unmount ${sharedRoot} after the failed create: ${(undoErr as Error).message}`
        if (opts.warn) opts.warn(also)
        else if (err instanceof Error) err.message += ` (and: ${also})`
      }
    }
    await undoCreate(stateRoot, opts.id, gatePid, exitFd, cgroup)
    throw err
  }
}

/**
 * PID 1 in its cgroup: born there (the shim's clone3 CLONE_INTO_CGROUP said "born"), or moved in
 * by a write to cgroup.procs (the kernel refused clone3's cgroup, `how` is its errno name; or no
 * --cgroup was asked for, in a user namespace). --explain says which.
 */
function placeGate(cgroup: NonNullable<ReturnType<typeof makeContainerCgroup>>, pid: number, how: string | undefined): void {
  if (how === 'born') return note('cgroup', 'explain.note.cgroup.born', { pid, path: cgroup.path })
  if (how) note('cgroup', 'explain.note.cgroup.moved', { pid, path: cgroup.path, errno: how })
  else note('cgroup', 'explain.note.cgroup.movedUserns', { pid, path: cgroup.path })
  cgroup.addProcess(pid)
}

/** Take back everything a failed create made: PID 1, the shim, the cgroup, the state dir. */
async function undoCreate(stateRoot: string, id: string, gatePid: number, exitFd: number | undefined, cgroup: { remove(): void } | undefined): Promise<void> {
  if (gatePid) sysKill(gatePid, 9)
  // The shim exits as soon as its gate is gone (or at once if it never made one); with it goes
  // the last process in the container's mount namespace, and with that every mount in it.
  if (exitFd !== undefined) await Promise.race([readExitSocket(exitFd), sleep(5000, undefined, { ref: false })]) // unref: never keeps us alive
  try {
    cgroup?.remove()
  } finally {
    removeStateDir(stateRoot, id)
  }
}

/** Read the exit socket to its end: the shim's exit.json, or undefined if it died without one. */
function readExitSocket(fd: number): Promise<ExitStatus | undefined> {
  return new Promise((resolve) => {
    const sock = new Socket({ fd, readable: true, writable: false })
    const chunks: Buffer[] = []
    sock.on('data', (d) => chunks.push(d))
    sock.on('error', () => resolve(undefined))
    sock.on('close', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString()) as ExitStatus)
      } catch {
        resolve(undefined)
      }
    })
  })
}

function handle(stateRoot: string, st: StoredState, channel: CreateChannel, exitFd: number | undefined, opts: RuntimeOptions): Container {
  let exited: Promise<number> | undefined
  let fd = exitFd
  let control: CreateChannel | undefined = channel
  return {
    id: st.id,
    pid: st.pid,
    shimPid: st.shimPid,
    stateDir: stateDir(stateRoot, st.id),
    start: async () => {
      if (!control) return startContainer(st.id, { stateRoot, warn: opts.warn })
      // We created it: release the gate over the control socket (no need for start.sock).
      const ch = control
      control = undefined
      unlinkSync(join(stateDir(stateRoot, st.id), 'start.sock'))
      try {
        ch.go()
      } finally {
        ch.close()
      }
      runPoststart(st, opts.warn)
    },
    check: () => control?.flush(),
    wait: () => {
      if (!exited && fd !== undefined) {
        const socket = fd
        fd = undefined
        exited = readExitSocket(socket).then((e) => e?.exitCode ?? waitForExit(stateRoot, st))
      }
      return exited ?? waitForExit(stateRoot, st)
    },
    detach: () => {
      // Stop listening: the gate then waits for `start` on start.sock alone, and the shim's last
      // write on the exit socket fails with EPIPE, which it ignores.
      control?.close()
      control = undefined
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}
