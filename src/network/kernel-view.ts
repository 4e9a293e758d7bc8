// A container's network as the kernel holds it (`tocker kernel`, --step): its interfaces and
// addresses inside its network namespace (`nsenter --net=/proc/<pid>/ns/net ip -j addr`), the host
// end of its veth pair and the bridge it is plugged into, and the iptables rules that carry its
// name (DNAT for each -p, the matching ACCEPT). All read with the same commands a learner could type.
import { runCommand } from './command.js'
import { ip, isNoSuchDevice, showLink } from './iproute2.js'
import { saveRules, type IptablesTools } from './iptables.js'
import { hasComment, ruleComment } from './rules.js'

export interface InterfaceView {
  name: string
  mac?: string
  state?: string
  addresses: string[]
}

export interface NetworkKernelView {
  /** Inside the container's network namespace. */
  interfaces: InterfaceView[]
  /** The veth's host end and where it is plugged in. */
  hostVeth?: { name: string; master?: string; state?: string; exists: boolean }
  bridge?: InterfaceView
  /** iptables-save lines of the container's rules ("-t nat -A TOCKER … -j DNAT …"). */
  rules: string[]
}

interface IpAddr {
  ifname: string
  address?: string
  operstate?: string
  addr_info?: { family: string; local: string; prefixlen: number }[]
}

const asView = (l: IpAddr): InterfaceView => ({
  name: l.ifname,
  mac: l.address,
  state: l.operstate,
  addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
})

/** `pid` undefined: the container has stopped (no namespace to look into). */
export async function networkKernelView(o: { containerId: string; pid: number | undefined; hostVeth?: string; bridge?: string; iptables?: () => Promise<IptablesTools> }): Promise<NetworkKernelView> {
  const inside = o.pid
    ? runCommand('nsenter', [`--net=/proc/${o.pid}/ns/net`, 'ip', '-j', 'addr', 'show']).then((out) => (JSON.parse(out || '[]') as IpAddr[]).map(asView))
    : Promise.resolve([])
  const veth = o.hostVeth ? showLink(o.hostVeth) : Promise.resolve(undefined)
  const bridge = o.bridge
    ? ip(['-j', 'addr', 'show', 'dev', o.bridge])
      .then((out) => (JSON.parse(out || '[]') as IpAddr[]).map(asView)[0])
      .catch((err) => {
        if (isNoSuchDevice(err)) return undefined
        throw err
      })
    : Promise.resolve(undefined)
  const rules = o.iptables
    ? o.iptables().then(async (tools) => {
      const saved = await saveRules(tools)
      const comment = ruleComment(o.containerId)
      return (['nat', 'filter'] as const).flatMap((t) => (saved[t]?.rules ?? []).filter((r) => hasComment(r, comment)).map((r) => `-t ${t} ${r}`))
    })
    : Promise.resolve([])
  const [interfaces, link, br, own] = await Promise.all([inside, veth, bridge, rules])
  return {
    interfaces,
    hostVeth: o.hostVeth ? { name: o.hostVeth, master: link?.master, state: link?.operstate, exists: !!link } : undefined,
    bridge: br,
    rules: own,
  }
}
