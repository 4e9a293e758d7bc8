// OCI hooks (runtime-spec config.md "POSIX-platform Hooks"): programs the caller asks the runtime to
// run at points of the container's life, each given the container's state JSON on its stdin.
//
//   hook             when                                        where                   failure
//   prestart         create: after the mounts, before pivot_root runtime namespace (Node) error: container destroyed
//   createRuntime    right after prestart                        runtime namespace (Node) error: container destroyed
//   createContainer  after createRuntime, before pivot_root      container (the gate)    error: container destroyed
//   startContainer   start: before the user's program            container (the gate)    error: container stopped
//   poststart        start: after the program was started        runtime namespace (Node) warning only
//   poststop         delete: after everything is taken down      runtime namespace (Node) warning only
//
// The two in the container's namespaces are run by the gate (native-shims/shim/hooks.c: it is
// already there, as PID 1 of the new PID namespace, and Node's thread cannot join a PID
// namespace); the others here, with spawnSync: they run while create is between two steps that
// must not be interleaved with anything else, and they are rare. Same rules and words on both
// sides, runc's: "error running createRuntime hook #0: exit status 1, stdout: …, stderr: …" and
// "hook ran past specified timeout of 2.0s" (the hook is SIGKILLed then).
import { spawnSync } from 'node:child_process'
import { TockerError } from '../errors.js'
import type { Hook, Hooks, State } from './spec.js'

export type HookName = keyof Hooks

/** The state a hook reads on stdin (the runtime spec's State; status as the lifecycle says). */
export function hookState(st: { ociVersion: string; id: string; pid: number; bundle: string; annotations?: Record<string, string> }, status: State['status']): string {
  const s: Record<string, unknown> = { ociVersion: st.ociVersion, id: st.id, status, pid: st.pid, bundle: st.bundle }
  if (st.annotations && Object.keys(st.annotations).length) s.annotations = st.annotations
  return JSON.stringify(s)
}

/** Go's names of signals, as exec.ExitError prints them ("signal: killed"). */
const GO_SIGNAL_NAMES: Record<string, string> = {
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
  SIGINT: 'interrupt',
  SIGHUP: 'hangup',
  SIGQUIT: 'quit',
  SIGABRT: 'aborted',
  SIGSEGV: 'segmentation fault',
  SIGPIPE: 'broken pipe',
  SIGBUS: 'bus error',
  SIGFPE: 'floating point exception',
  SIGILL: 'illegal instruction',
  SIGUSR1: 'user defined signal 1',
  SIGUSR2: 'user defined signal 2',
  SIGALRM: 'alarm clock',
}

const CAPTURE = 4096

/** Run one hook; undefined when it succeeded, else why not (without runc's prefix). */
function runOne(h: Hook, state: string): string | undefined {
  const env: Record<string, string> = {}
  for (const e of h.env ?? []) {
    const eq = e.indexOf('=')
    if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1)
  }
  const args = h.args?.length ? h.args : [h.path]
  const r = spawnSync(h.path, args.slice(1), {
    argv0: args[0],
    env,
    input: state,
    timeout: h.timeout ? h.timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ETIMEDOUT') return `hook ran past specified timeout of ${(h.timeout ?? 0).toFixed(1)}s`
  // A hook that exits without reading all of the state on its stdin: spawnSync's write of it
  // fails with EPIPE, yet the hook ran and its exit status is there. No error (Go's os/exec, and
  // so runc, ignore EPIPE on stdin too; hooks.c does the same): judge it by that status.
  if (r.error && !(code === 'EPIPE' && (r.status !== null || r.signal !== null))) {
    const errno = (r.error as NodeJS.ErrnoException).code
    const why = errno === 'ENOENT' ? 'no such file or directory' : errno === 'EACCES' ? 'permission denied' : r.error.message
    return `fork/exec ${h.path}: ${why}`
  }
  if (r.status === 0) return undefined
  const out = (r.stdout?.subarray(0, CAPTURE) ?? '').toString()
  const err = (r.stderr?.subarray(0, CAPTURE) ?? '').toString()
  const what = r.signal ? `signal: ${GO_SIGNAL_NAMES[r.signal] ?? r.signal.toLowerCase()}` : `exit status ${r.status}`
  return `${what}, stdout: ${out}, stderr: ${err}`
}

/** Run the hooks of one kind in order; the first failure throws (runc's message). */
export function runHooks(name: HookName, hooks: Hook[] | undefined, state: string): void {
  for (const [i, h] of (hooks ?? []).entries()) {
    const why = runOne(h, state)
    if (why !== undefined) throw new TockerError(`error running ${name} hook #${i}: ${why}`, { code: 'EHOOK' })
  }
}

/**
 * Like runHooks, but a failure is only reported (poststart, poststop): the spec's "the runtime MUST
 * log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded", so
 * the hooks after a failed one still run (crun does the same for poststop).
 */
export function runHooksWarning(name: HookName, hooks: Hook[] | undefined, state: string, warn: (message: string) => void): void {
  for (const [i, h] of (hooks ?? []).entries()) {
    const why = runOne(h, state)
    if (why !== undefined) warn(`error running ${name} hook #${i}: ${why}`)
  }
}

/** The hooks as the gate's fields (hooks.c: h timeout, j path, J arg…, V env…, X state). */
export function encodeHooks(hooks: Hook[] | undefined, state: string): string[] {
  if (!hooks?.length) return []
  const fields: string[] = []
  const put = (tag: string, v: string): void => {
    if (v.includes('\0')) throw new TockerError(`hook field contains a NUL byte: ${JSON.stringify(v)}`, { code: 'EINVALID' })
    fields.push(tag + v + '\0')
  }
  for (const h of hooks) {
    put('h', String(Math.max(0, Math.floor(h.timeout ?? 0))))
    put('j', h.path)
    for (const a of h.args?.length ? h.args : [h.path]) put('J', a)
    for (const e of h.env ?? []) put('V', e)
  }
  put('X', state)
  return fields
}
