// Every change to the kernel's network state is a command a learner could type: iproute2's `ip`,
// `iptables-restore`, `nsenter`. This file starts them (posix_spawn: sys/spawn-capture.ts)
// and reports each one through the trace layer, so `tocker --explain` prints the exact command line
// (and, for a batch, the lines fed on stdin) with how long it took. A container's own links,
// address and route go over rtnetlink from the engine instead (runLinkOps: no process start, the
// hot path of every `run` on a bridge), traced as the `ip` lines that would do the same.
import { readFileSync, writeFileSync } from 'node:fs'
import { TockerError } from '../errors.js'
import { linkExists } from '../sys/net.js'
import { applyLinkOps, NetlinkError, opLine, type LinkOp } from '../sys/netlink.js'
import { seam } from '../sys/seam.js'
import { spawnCapture } from '../sys/spawn-capture.js'
import { traced, tracedAsync } from '../trace/trace.js'

export { opLine, type LinkOp } from '../sys/netlink.js'

export interface CommandOptions {
  /** Written to the command's stdin (`ip -batch -`, `iptables-restore`). */
  input?: string
  /** Shown instead of the arguments in the trace (e.g. a batch's lines rather than "-batch -"). */
  describe?: () => string
}

/**
 * A command exited non-zero (code ENETCOMMAND). `stderr` holds the tool's own message ("Cannot find
 * device ..."), `exitStatus` its exit status. A low-level error: the manager words it for people.
 */
export class NetworkCommandError extends TockerError {
  constructor(
    readonly file: string,
    readonly args: string[],
    readonly exitStatus: number | null,
    readonly stderr: string,
  ) {
    super(`${[file, ...args].join(' ')}: ${stderr.trim() || `exit status ${exitStatus}`}`, { code: 'ENETCOMMAND', internal: true })
    this.name = 'NetworkCommandError'
  }
}

/** How a batch reads on one trace line: "a; b; c". */
export function oneLine(lines: string[]): string {
  return lines.map((l) => l.trim()).filter((l) => l.length > 0).join('; ')
}

/**
 * The seam between the network layer and the host: what it asks of the kernel, as commands (ip,
 * iptables-save/-restore, nsenter), as rtnetlink requests (linkOps), the /proc/sys/net switches,
 * and bringing a link up inside a namespace. The real one is `linuxNetworkHost`; unit tests install a fake that models links and
 * rules in memory and can fail any command (test/unit/fakes/network-host.ts). runCommand and
 * sysctl.ts trace above it, so `--explain` and the tests see the same commands.
 * Installed rather than passed down (see src/sys/syscalls.ts for the same choice): the bridge,
 * veth, iptables and DNS helpers are free functions called from many places.
 */
export interface NetworkHost {
  /** Run `file args…`, feed `input` on stdin, resolve with stdout; reject with NetworkCommandError. */
  run(file: string, args: string[], input?: string): Promise<string>
  /** A /proc/sys value ("net.ipv4.ip_forward"), undefined when the key does not exist here. */
  readSysctl(key: string): string | undefined
  writeSysctl(key: string, value: string): void
  /** Is there a link named `name` in the engine's own namespace (no process started)? */
  linkExists(name: string): boolean
  /**
   * Apply link, address and route changes in order over rtnetlink (no process started), in the
   * engine's namespace or in the one at `netns`; stop at the first refusal and throw it as a
   * NetworkCommandError worded as `ip` words it ("RTNETLINK answers: File exists").
   */
  linkOps(netns: string | undefined, ops: LinkOp[]): void
}

function sysctlPath(key: string): string {
  return '/proc/sys/' + key.replace(/\./g, '/')
}

export const linuxNetworkHost: NetworkHost = {
  run: spawnCommand,
  readSysctl(key) {
    try {
      return readFileSync(sysctlPath(key), 'utf8').trim()
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  },
  writeSysctl(key, value) {
    writeFileSync(sysctlPath(key), value + '\n')
  },
  linkExists,
  linkOps(netns, ops) {
    try {
      applyLinkOps(netns, ops)
    } catch (err) {
      if (!(err instanceof NetlinkError)) throw err
      const e = new NetworkCommandError('rtnetlink', [err.line], null, err.message.slice(err.line.length + 2))
      e.cause = err
      throw e
    }
  },
}

const host = seam<NetworkHost>(linuxNetworkHost)

/** The host the network layer works on (linuxNetworkHost unless a test installed a fake). */
export const networkHost = host.get

/** Install a fake host until the returned function is called (tests only). */
export const useNetworkHost = host.use

/** Run `file args…` on the network host, traced; resolve with stdout; reject with NetworkCommandError. */
export function runCommand(file: string, args: string[], opts: CommandOptions = {}): Promise<string> {
  const op = file.split('/').pop()!
  return tracedAsync('net', op, opts.describe ?? (() => args.join(' ')), () => host.get().run(file, args, opts.input))
}

/**
 * Apply `ops` over rtnetlink, traced as one step whose detail is the `ip` lines that do the same
 * ("in NS: " before them when inside a container's namespace), as an `ip -batch` would show.
 */
export function runLinkOps(netns: string | undefined, ops: LinkOp[]): void {
  const lines = () => oneLine(ops.map(opLine))
  traced('net', 'rtnetlink', () => (netns === undefined ? lines() : `in ${netns}: ${lines()}`), () => host.get().linkOps(netns, ops))
}

async function spawnCommand(file: string, args: string[], input?: string): Promise<string> {
  const r = await spawnCapture(file, args, input)
  if (r.code === 0) return r.stdout
  throw new NetworkCommandError(file, args, r.code, r.stderr)
}
