// iproute2 (`ip`) as the network layer uses it: single commands, batches (`ip -batch -` reads
// several commands on stdin and applies them in one process: a bridge's set-up), and the JSON
// queries (`ip -j`) that tell what already exists. A container's own veth and addresses go over
// rtnetlink from the engine instead (veth.ts, sys/netlink.ts): no process per container.
import { NetworkCommandError, oneLine, runCommand } from './command.js'

export const IP = 'ip'

export function ip(args: string[]): Promise<string> {
  return runCommand(IP, args)
}

export function ipBatch(lines: string[]): Promise<string> {
  return runCommand(IP, ['-batch', '-'], { input: lines.join('\n') + '\n', describe: () => `-batch - <<< ${oneLine(lines)}` })
}

/** "Cannot find device" / "does not exist": the link is gone, which is what a delete wanted anyway. */
export function isNoSuchDevice(err: unknown): boolean {
  return err instanceof NetworkCommandError && /Cannot find device|does not exist|No such device/i.test(err.stderr)
}

export interface LinkInfo {
  ifname: string
  ifindex: number
  flags?: string[] // "UP", "LOWER_UP", ...
  address?: string
  master?: string
  operstate?: string
  ifalias?: string
  linkinfo?: { info_kind?: string }
}

export interface AddrInfo {
  ifname: string
  addr_info: { family: string; local: string; prefixlen: number }[]
}

export interface RouteInfo {
  dst: string // "default" or "172.17.0.0/16" or "10.0.0.1"
  dev?: string
  type?: string
}

/** One link by name, or undefined when there is none. */
export async function showLink(name: string): Promise<LinkInfo | undefined> {
  try {
    const links = JSON.parse(await ip(['-j', '-d', 'link', 'show', 'dev', name])) as LinkInfo[]
    return links[0]
  } catch (err) {
    if (isNoSuchDevice(err)) return undefined
    throw err
  }
}

/** The links enslaved to a bridge (the host ends of its veth pairs). */
export async function linksOnBridge(bridge: string): Promise<LinkInfo[]> {
  try {
    return JSON.parse((await ip(['-j', 'link', 'show', 'master', bridge])) || '[]') as LinkInfo[]
  } catch (err) {
    if (isNoSuchDevice(err)) return []
    throw err
  }
}

export async function ipv4Addresses(): Promise<AddrInfo[]> {
  return JSON.parse((await ip(['-j', '-4', 'addr', 'show'])) || '[]') as AddrInfo[]
}

export async function ipv4Routes(): Promise<RouteInfo[]> {
  return JSON.parse((await ip(['-j', '-4', 'route', 'show'])) || '[]') as RouteInfo[]
}
