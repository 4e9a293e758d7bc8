// A fake of the network layer's host seam (src/network/command.ts NetworkHost), for unit tests of
// the network manager without root: it never starts a process. It keeps a small model of what the
// real commands would change — links (bridges, veth pairs and their peers in container namespaces,
// addresses, aliases, up/down) and iptables tables (chains and rules; iptables-restore applies a
// whole script or nothing, as the kernel's transaction does) — and answers the queries the manager
// makes (ip -j …, iptables-save) from that model. Every command is recorded in order, and a test
// can make a chosen command fail (exit status 1 with the tool's message) to check the rollback:
// `snapshot()` before and after must then be equal. A command the model does not know fails the
// test loudly (an unknown line is an error, never silently accepted).
import type { Test } from 'tap'
import { NetworkCommandError, opLine, useNetworkHost, type LinkOp, type NetworkHost } from '../../../src/network/command.js'

interface Link {
  kind: 'bridge' | 'veth'
  up: boolean
  address?: string
  alias?: string
  master?: string
  addrs: string[]
  /** veth: the peer's namespace and name. */
  peer?: { netns: string; name: string }
}

interface Table {
  chains: Map<string, string[]> // chain → its rules ("-A CHAIN …" as iptables-save prints them)
}

const BUILTIN: Record<string, string[]> = { nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'], filter: ['INPUT', 'FORWARD', 'OUTPUT'] }

export interface Command {
  /** "ip -batch -", "iptables-restore --noflush", "rtnetlink" (linkOps), "rtnetlink --net=/x" (linkOps in a namespace) */
  line: string
  /** What went to its stdin, as lines. */
  input: string[]
}

export class FakeNetworkHost implements NetworkHost {
  readonly commands: Command[] = []
  readonly links = new Map<string, Link>()
  /** Per container namespace: its links (name → up, addresses) and default route. */
  readonly namespaces = new Map<string, { links: Map<string, { up: boolean; addrs: string[] }>; defaultVia?: string }>()
  readonly tables = new Map<string, Table>(Object.entries(BUILTIN).map(([t, cs]) => [t, { chains: new Map(cs.map((c) => [c, [] as string[]])) }]))
  readonly sysctls = new Map<string, string>([['net.ipv4.ip_forward', '0']])
  #failures: { match: (c: Command) => boolean; stderr: string }[] = []

  install(t: Test): this {
    t.teardown(useNetworkHost(this))
    return this
  }

  /** The next command matching `match` exits 1 with `stderr` (and changes nothing). */
  failOn(match: (c: Command) => boolean, stderr = 'RTNETLINK answers: Operation not permitted'): void {
    this.#failures.push({ match, stderr })
  }

  /** Everything the model holds, comparable with t.same: links, namespaces' links, rules. */
  snapshot(): unknown {
    return {
      links: Object.fromEntries([...this.links].map(([k, v]) => [k, { ...v, addrs: [...v.addrs] }])),
      namespaces: Object.fromEntries([...this.namespaces].map(([k, v]) => [k, Object.fromEntries([...v.links].map(([n, l]) => [n, { ...l, addrs: [...l.addrs] }]))])),
      rules: Object.fromEntries([...this.tables].map(([t, tb]) => [t, Object.fromEntries(tb.chains)])),
    }
  }

  /** Every rule of a table, in iptables-save order. */
  rules(table: string): string[] {
    return [...this.tables.get(table)!.chains.values()].flat()
  }

  async run(file: string, args: string[], input?: string): Promise<string> {
    const cmd: Command = { line: [file, ...args].join(' '), input: input === undefined ? [] : input.split('\n').filter((l) => l.trim()) }
    this.commands.push(cmd)
    const i = this.#failures.findIndex((f) => f.match(cmd))
    if (i >= 0) {
      const [f] = this.#failures.splice(i, 1)
      throw new NetworkCommandError(file, args, 1, f!.stderr)
    }
    const fail = (msg: string): never => {
      throw new NetworkCommandError(file, args, 1, msg)
    }
    if (file === 'nsenter') {
      const ns = /^--net=(.+)$/.exec(args[0]!)?.[1]
      if (!ns || args[1] !== 'ip' || args[2] !== '-batch') throw new Error(`fake network host: unknown command ${cmd.line}`)
      this.#batch(cmd.input, fail, ns)
      return ''
    }
    if (file === 'ip') {
      if (args[0] === '-batch') {
        this.#batch(cmd.input, fail)
        return ''
      }
      return this.#ipQuery(args, fail)
    }
    if (/iptables(-legacy|-nft)?$/.test(file) && args[0] === '--version') return 'iptables v1.8.9 (nf_tables)\n'
    if (/iptables(-legacy|-nft)?-save$/.test(file)) return this.#save()
    if (/iptables(-legacy|-nft)?-restore$/.test(file) && args[0] === '--noflush') {
      this.#restore(cmd.input, fail)
      return ''
    }
    throw new Error(`fake network host: unknown command ${cmd.line}`)
  }

  readSysctl(key: string): string | undefined {
    return this.sysctls.get(key) ?? (key.startsWith('net.ipv4.conf.') ? '0' : undefined)
  }
  writeSysctl(key: string, value: string): void {
    this.commands.push({ line: `sysctl -w ${key}=${value}`, input: [] })
    this.sysctls.set(key, value)
  }
  /** rtnetlink requests: modelled as the `ip` lines that do the same (opLine), like an `ip -batch`. */
  linkOps(netns: string | undefined, ops: LinkOp[]): void {
    const cmd: Command = { line: netns === undefined ? 'rtnetlink' : `rtnetlink --net=${netns}`, input: ops.map(opLine) }
    this.commands.push(cmd)
    const fail = (msg: string): never => {
      throw new NetworkCommandError('rtnetlink', cmd.input, null, msg)
    }
    const i = this.#failures.findIndex((f) => f.match(cmd))
    if (i >= 0) fail(this.#failures.splice(i, 1)[0]!.stderr)
    this.#batch(cmd.input, fail, netns)
  }

  linkExists(name: string): boolean {
    return this.links.has(name)
  }

  #ns(netns: string) {
    let ns = this.namespaces.get(netns)
    if (!ns) this.namespaces.set(netns, ns = { links: new Map([['lo', { up: false, addrs: ['127.0.0.1/8'] }]]) })
    return ns
  }

  /** ip -batch: applied line by line; like ip, it stops at the first failing line (earlier lines stay done). */
  #batch(lines: string[], fail: (m: string) => never, netns?: string): void {
    for (const line of lines) {
      const w = line.trim().split(/\s+/)
      const at = (word: string) => w[w.indexOf(word) + 1]!
      if (netns !== undefined) {
        const ns = this.#ns(netns)
        const dev = (name: string) => ns.links.get(name) ?? fail(`Cannot find device "${name}"`)
        if (w[0] === 'link' && w[1] === 'set' && w[3] === 'up') dev(w[2]!).up = true
        else if (w[0] === 'addr' && w[1] === 'add') dev(at('dev')).addrs.push(w[2]!)
        else if (w[0] === 'route' && w[1] === 'add' && w[2] === 'default') ns.defaultVia = at('via')
        else throw new Error(`fake network host: unknown ip line in a namespace: ${line}`)
        continue
      }
      const dev = (name: string) => this.links.get(name) ?? fail(`Cannot find device "${name}"`)
      if (w[0] === 'link' && w[1] === 'add') {
        const name = w[2]!
        if (this.links.has(name)) fail('RTNETLINK answers: File exists')
        if (at('type') === 'bridge') this.links.set(name, { kind: 'bridge', up: false, address: at('address'), addrs: [] })
        else if (at('type') === 'veth') {
          const peer = { netns: at('netns'), name: at('name') }
          if (w.includes('master')) dev(at('master'))
          const ns = this.#ns(peer.netns)
          if (ns.links.has(peer.name)) fail('RTNETLINK answers: File exists')
          ns.links.set(peer.name, { up: false, addrs: [] })
          this.links.set(name, { kind: 'veth', up: w.includes('up'), master: w.includes('master') ? at('master') : undefined, addrs: [], peer })
        } else throw new Error(`fake network host: unknown link type in ${line}`)
      } else if (w[0] === 'link' && w[1] === 'set') {
        const name = w[2] === 'dev' ? w[3]! : w[2]!
        const l = dev(name)
        if (w.includes('alias')) l.alias = at('alias')
        else if (w.includes('hairpin')) continue
        else if (w.at(-1) === 'up') l.up = true
        else throw new Error(`fake network host: unknown ip line ${line}`)
      } else if (w[0] === 'addr' && w[1] === 'add') {
        dev(at('dev')).addrs.push(w[2]!)
      } else if (w[0] === 'link' && w[1] === 'del') {
        this.#delete(w[2]!, fail)
      } else throw new Error(`fake network host: unknown ip line ${line}`)
    }
  }

  #delete(name: string, fail: (m: string) => never): void {
    const l = this.links.get(name) ?? fail(`Cannot find device "${name}"`)
    this.links.delete(name)
    if (l.peer) this.namespaces.get(l.peer.netns)?.links.delete(l.peer.name) // a veth pair goes as one
  }

  #ipQuery(args: string[], fail: (m: string) => never): string {
    const a = args.join(' ')
    const show = (name: string, l: Link) => ({
      ifname: name,
      ifindex: 1,
      flags: l.up ? ['UP'] : [],
      address: l.address,
      ...(l.master ? { master: l.master } : {}),
      ...(l.alias ? { ifalias: l.alias } : {}),
      linkinfo: { info_kind: l.kind },
    })
    let m: RegExpExecArray | null
    if (args[0] === 'link' && args[1] === 'del') {
      this.#delete(args[2]!, fail)
      return ''
    }
    if ((m = /^-j -d link show dev (\S+)$/.exec(a))) return JSON.stringify([show(m[1]!, this.links.get(m[1]!) ?? fail(`Device "${m[1]}" does not exist.`))])
    if (a === '-j -d link show type bridge') return JSON.stringify([...this.links].filter(([, l]) => l.kind === 'bridge').map(([n, l]) => show(n, l)))
    if ((m = /^-j link show master (\S+)$/.exec(a))) {
      if (!this.links.has(m[1]!)) fail(`Device "${m[1]}" does not exist.`)
      return JSON.stringify([...this.links].filter(([, l]) => l.master === m![1]).map(([n, l]) => show(n, l)))
    }
    if ((m = /^-j -4 addr show dev (\S+)$/.exec(a))) {
      const l = this.links.get(m[1]!) ?? fail(`Device "${m[1]}" does not exist.`)
      return JSON.stringify([{ ifname: m[1], addr_info: l.addrs.map(cidr) }])
    }
    if (a === '-j -4 addr show') return JSON.stringify([...this.links].filter(([, l]) => l.addrs.length).map(([n, l]) => ({ ifname: n, addr_info: l.addrs.map(cidr) })))
    if (a === '-j -4 route show') return JSON.stringify([...this.links].flatMap(([n, l]) => l.addrs.map((x) => ({ dst: networkOf(x), dev: n }))))
    throw new Error(`fake network host: unknown ip query ${a}`)
  }

  #save(): string {
    let out = ''
    for (const [name, t] of this.tables) {
      out += `*${name}\n`
      for (const c of t.chains.keys()) out += `:${c} ${BUILTIN[name]!.includes(c) ? 'ACCEPT' : '-'} [0:0]\n`
      for (const rules of t.chains.values()) for (const r of rules) out += r + '\n'
      out += 'COMMIT\n'
    }
    return out
  }

  /** iptables-restore --noflush: each table's part is all or nothing; a failure changes no table. */
  #restore(lines: string[], fail: (m: string) => never): void {
    const copy = new Map([...this.tables].map(([k, t]) => [k, { chains: new Map([...t.chains].map(([c, r]) => [c, [...r]])) }]))
    let table: Table | undefined
    lines.forEach((line, i) => {
      const bad = () => fail(`iptables-restore: line ${i + 1} failed`)
      if (line.startsWith('*')) table = copy.get(line.slice(1)) ?? bad()
      else if (line === 'COMMIT') table = undefined
      else if (!table) bad()
      else if (line.startsWith(':')) table.chains.set(line.slice(1).split(' ')[0]!, []) // declaring a chain flushes it
      else {
        const w = line.split(' ')
        const chain = table.chains.get(w[1]!) ?? bad()
        const target = / -j (\S+)/.exec(line)?.[1]
        if (target && /^[A-Z][A-Z0-9-]*$/.test(target) && !['ACCEPT', 'DROP', 'RETURN', 'MASQUERADE', 'DNAT', 'SNAT', 'REJECT'].includes(target) && !table.chains.has(target)) bad()
        if (w[0] === '-A') chain.push(line)
        else if (w[0] === '-I') chain.splice(Number(w[2]) - 1, 0, ['-A', w[1], ...w.slice(3)].join(' '))
        else if (w[0] === '-D') {
          const at = chain.indexOf(['-A', ...w.slice(1)].join(' '))
          if (at < 0) bad()
          chain.splice(at, 1)
        } else if (w[0] === '-X') {
          if (chain.length || [...table.chains.values()].flat().some((r) => r.includes(` -j ${w[1]}`))) bad()
          table.chains.delete(w[1]!)
        } else bad()
      }
    })
    for (const [k, t] of copy) this.tables.set(k, t)
  }
}

function cidr(x: string) {
  const [local, prefix] = x.split('/')
  return { family: 'inet', local: local!, prefixlen: Number(prefix) }
}

function networkOf(x: string): string {
  const [ip, p] = x.split('/')
  const prefix = Number(p)
  const n = ip!.split('.').reduce((a, o) => a * 256 + Number(o), 0)
  const net = prefix === 0 ? 0 : Math.floor(n / 2 ** (32 - prefix)) * 2 ** (32 - prefix)
  return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${prefix}`
}
