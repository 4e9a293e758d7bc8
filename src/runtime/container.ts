// The lifecycle of a container, runc's: create → (created) → start → (running) → (stopped) → delete.
//
// create, step by step (the numbers appear in comments below):
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
// and the state dir are removed. Nothing of a container is ever mounted in the host's namespace.
// create: create.ts; the operations on an existing container: operations.ts; options: options.ts.
import { create } from './create.js'
import { deleteContainer } from './operations.js'
import type { Container, CreateOptions } from './options.js'

// The runtime's public surface, as before the split into create.ts, operations.ts and options.ts.
export { containerPids, containerState, containerStats, deleteContainer, exitStatus, killContainer, listContainers, oomKillCount, pauseContainer, startContainer, updateContainer, waitForExit } from './operations.js'
export type { Container, CreateOptions, LogRelay, RuntimeOptions } from './options.js'

export function createContainer(opts: CreateOptions): Promise<Container> {
  return create(opts, true)
}

/**
 * create without waiting for the gate's word on the process (the program exists, the user and cwd
 * work): the gate prepares it while the caller goes on, and a refusal is thrown by start(), or by
 * check() before it. The engine attaches the network meanwhile.
 */
export function createContainerUnchecked(opts: CreateOptions): Promise<Container> {
  return create(opts, false)
}

/**
 * create + start + wait, then delete: `runc run`. Returns the container's exit code; a program
 * that cannot be run throws GateError with exitCode 126 or 127.
 */
export async function runContainer(opts: CreateOptions & { onStart?: (c: Container) => void }): Promise<number> {
  const c = await create(opts, false)
  try {
    await c.start()
    opts.onStart?.(c)
    return await c.wait()
  } finally {
    await deleteContainer(opts.id, { ...opts, force: true })
  }
}
