// A recording fake of the create shim's channel (src/runtime/shim-channel.ts CreateChannel, installed
// through useCreateShim), so that createContainer's sequencing runs without root and without the C
// shim: it records what create asks of the shim and its gate (the pids, the gate's mounts and
// cgroup namespace, flushes, hooks, the process spec, go) and answers with pids no process has
// (beyond any pid_max: a kill finds nothing). With a FakeSyscalls it gives one timeline: each of
// its entries says how many kernel calls the fake syscalls had recorded before it.
import { closeSync } from 'node:fs'
import type { Test } from 'tap'
import { MS_FLAGS } from '../../../native-shims/mount.js'
import { useCreateShim, type CreateChannel } from '../../../src/runtime/shim.js'
import { SOCK_CLOEXEC, SOCK_STREAM, socketpair } from '../../../src/sys/proc.js'
import { decodeFlags } from '../../../src/trace/trace.js'
import type { FakeSyscalls } from './syscalls.js'

/** Linux's largest pid_max is 2^22: these pids belong to no process. */
export const FAKE_SHIM_PID = 4_194_304 + 1
export const FAKE_GATE_PID = 4_194_304 + 2

export class FakeCreateShim implements CreateChannel {
  /** What the shim was asked, in order: "spawn <args>", "pids", "gate: mount …", "flush", "spec later", "go", "close"… */
  readonly log: { at: number; what: string }[] = []
  /** The shim's command line (after "create"). */
  args: string[] = []
  #exitFd: number | undefined

  constructor(private readonly sys?: FakeSyscalls) {}

  install(t: Test): this {
    t.teardown(
      useCreateShim((args) => {
        this.args = args
        this.#note(`spawn ${args[0]}`)
        // The exit socket: its other end closed at once, as by a shim that died without a word.
        const [ours, theirs] = socketpair(SOCK_STREAM | SOCK_CLOEXEC)
        closeSync(theirs)
        this.#exitFd = ours
        return { channel: this, exitFd: this.#exitFd }
      }),
    )
    t.teardown(() => {
      try {
        if (this.#exitFd !== undefined) closeSync(this.#exitFd)
      } catch {
        // closed by the container's detach()
      }
    })
    return this
  }

  /** One timeline: the fake syscalls' lines with the shim's entries where they happened. */
  timeline(): string[] {
    const kernel = this.sys?.lines() ?? []
    const out: string[] = []
    let k = 0
    for (const { at, what } of this.log) {
      while (k < at) out.push(kernel[k++]!)
      out.push(`shim: ${what}`)
    }
    return [...out, ...kernel.slice(k)]
  }

  #note(what: string): void {
    this.log.push({ at: this.sys?.calls.length ?? 0, what })
  }

  expectPids(): { pid: number; shimPid: number } {
    this.#note('pids')
    return { pid: FAKE_GATE_PID, shimPid: FAKE_SHIM_PID }
  }
  expectPidAndReady(): { pid: number; shimPid: number } {
    this.#note('pids, ready')
    return { pid: FAKE_GATE_PID, shimPid: FAKE_SHIM_PID }
  }
  cgroupNamespace(path?: string): void {
    this.#note(`gate: cgroup namespace ${path ?? 'new'}`)
  }
  mount(source: string, target: string, fstype: string, flags: number, data: string): void {
    this.#note(`gate: mount ${source} ${target} ${fstype} ${decodeFlags(flags, MS_FLAGS)}${data ? ` ${data}` : ''}`)
  }
  chroot(rootfs: string): void {
    this.#note(`gate: chroot ${rootfs}`)
  }
  describeNext(op: string): void {
    this.#note(`describe ${op}`)
  }
  runHooks(encoded: string[]): void {
    this.#note(`gate: ${encoded.length} createContainer hook(s)`)
  }
  flush(): void {
    this.#note('flush')
  }
  sendSpec(): void {
    this.#note('spec')
  }
  sendSpecLater(): void {
    this.#note('spec later')
  }
  /** Called when create says the state is saved (a test looks at the disk then). */
  onStateSaved: (() => void) | undefined
  stateSaved(): void {
    this.#note('state saved')
    this.onStateSaved?.()
  }
  go(): void {
    this.#note('go')
  }
  close(): void {
    this.#note('close')
  }
}
