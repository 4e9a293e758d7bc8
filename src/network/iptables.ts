// iptables through its own save/restore tools. `iptables-restore --noflush` applies a whole list
// of changes in one process and one kernel transaction (all or nothing), which is both cheaper
// than one `iptables` process per rule and never leaves half a container's rules behind.
// `iptables-save` is how we read what is there. Debian ships two implementations behind the same
// commands: iptables-nft (rules stored in nf_tables; Debian's default since 10) and iptables-legacy
// (the old x_tables); `iptables --version` says which one `iptables` is.
import { oneLine, runCommand } from './command.js'
import { BASE_CHAINS, chainOf, hasComment, JUMPS, OUR_CHAINS, PORTS_CHAIN, baseRules, portRules, ruleComment, targetOf, type BridgeNet, type Table } from './rules.js'
import type { Endpoint } from './types.js'

export interface IptablesTools {
  iptables: string
  save: string
  restore: string
  /** "nf_tables" or "legacy" */
  backend: string
  version: string
}

/** `iptables` (or TOCKER_IPTABLES, e.g. "iptables-legacy") and its -save/-restore siblings. */
export async function detectIptables(command = process.env.TOCKER_IPTABLES || 'iptables'): Promise<IptablesTools> {
  const out = (await runCommand(command, ['--version'])).trim() // "iptables v1.8.9 (nf_tables)"
  const m = /v([0-9.]+)(?: \(([a-z_]+)\))?/.exec(out)
  return {
    iptables: command,
    save: `${command}-save`,
    restore: `${command}-restore`,
    backend: m?.[2] ?? 'legacy', // iptables before 1.8 has no suffix and is legacy
    version: m?.[1] ?? out,
  }
}

export interface TableDump {
  chains: Set<string>
  rules: string[] // "-A CHAIN ..." exactly as iptables-save prints them
}
export type Ruleset = Partial<Record<string, TableDump>>

export function parseSave(text: string): Ruleset {
  const out: Ruleset = {}
  let cur: TableDump | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) out[line.slice(1).trim()] = cur = { chains: new Set(), rules: [] }
    else if (line.startsWith(':') && cur) cur.chains.add(line.slice(1).split(' ')[0]!)
    else if (line.startsWith('-A ') && cur) cur.rules.push(line.trim())
  }
  return out
}

export async function saveRules(tools: IptablesTools): Promise<Ruleset> {
  return parseSave(await runCommand(tools.save, []))
}

/** Apply a set of changes per table in one `iptables-restore --noflush` (a no-op when empty). */
export async function restoreRules(tools: IptablesTools, changes: Partial<Record<Table, string[]>>): Promise<void> {
  let script = ''
  const shown: string[] = []
  for (const table of ['nat', 'filter'] as Table[]) {
    const lines = changes[table]
    if (!lines || lines.length === 0) continue
    script += `*${table}\n${lines.join('\n')}\nCOMMIT\n`
    shown.push(`*${table}`, ...lines, 'COMMIT')
  }
  if (!script) return
  await runCommand(tools.restore, ['--noflush'], { input: script, describe: () => `--noflush <<< ${oneLine(shown)}` })
}

function declare(chain: string): string {
  return `:${chain} - [0:0]`
}

/**
 * The changes that make tocker's base chains exactly right for `nets` (every network with a subnet):
 * base chains declared (in a --noflush restore, declaring a chain flushes it) and refilled, the per-container chain created when
 * missing (or, with `endpoints`, flushed and refilled from them: that is reconcile), and one jump
 * from each built-in chain, removing duplicates a crash or a second engine may have left.
 */
export function syncChanges(saved: Ruleset, nets: BridgeNet[], endpoints?: { bridge: string; endpoint: Endpoint }[]): Record<Table, string[]> {
  const base = baseRules(nets)
  const out: Record<Table, string[]> = { nat: [], filter: [] }
  for (const table of ['nat', 'filter'] as Table[]) {
    const dump = saved[table]
    const lines = out[table]
    for (const chain of BASE_CHAINS[table]) lines.push(declare(chain))
    if (endpoints || !dump?.chains.has(PORTS_CHAIN)) lines.push(declare(PORTS_CHAIN))
    lines.push(...base[table])
    if (endpoints) { for (const e of endpoints) lines.push(...portRules(e.bridge, e.endpoint)[table]) }
    // Jumps: exactly one canonical rule per built-in chain, at the top.
    const existing = (dump?.rules ?? []).filter((r) => OUR_CHAINS[table].includes(targetOf(r) ?? '') && !OUR_CHAINS[table].includes(chainOf(r)))
    for (const jump of JUMPS[table]) {
      const found = existing.filter((r) => r === jump)
      if (found.length === 1) continue
      for (const r of found) lines.push(r.replace(/^-A /, '-D '))
      lines.push(jump.replace(/^-A (\S+) /, '-I $1 1 '))
    }
    // Any other jump into our chains (an older rule shape) goes.
    for (const r of existing) if (!JUMPS[table].includes(r)) lines.push(r.replace(/^-A /, '-D '))
  }
  return out
}

/** A container's DNAT and ACCEPT rules, appended in one transaction. */
export async function addPortRules(tools: IptablesTools, bridge: string, e: Endpoint): Promise<void> {
  await restoreRules(tools, portRules(bridge, e))
}

/**
 * Remove a container's rules. The fast path deletes exactly the rules attach added, in one
 * transaction; if any is missing (someone flushed a chain, an earlier release half-ran) the
 * transaction fails as a whole and we fall back to finding the tagged rules with iptables-save.
 */
export async function removePortRules(tools: IptablesTools, bridge: string, e: Endpoint): Promise<void> {
  const rules = portRules(bridge, e)
  const del = (lines: string[]) => lines.map((r) => r.replace(/^-A /, '-D '))
  try {
    await restoreRules(tools, { nat: del(rules.nat), filter: del(rules.filter) })
  } catch {
    await deletePortRules(tools, [e.containerId])
  }
}

/** Delete every rule tagged with one of these containers' comments (found with iptables-save). */
export async function deletePortRules(tools: IptablesTools, containerIds: string[]): Promise<number> {
  const saved = await saveRules(tools)
  const comments = containerIds.map(ruleComment)
  const changes: Record<Table, string[]> = { nat: [], filter: [] }
  let n = 0
  for (const table of ['nat', 'filter'] as Table[]) {
    for (const r of saved[table]?.rules ?? []) {
      if (chainOf(r) === PORTS_CHAIN && comments.some((c) => hasComment(r, c))) {
        changes[table].push(r.replace(/^-A /, '-D '))
        n++
      }
    }
  }
  await restoreRules(tools, changes)
  return n
}

/** Everything tocker added to iptables, gone: jumps deleted, chains flushed and deleted. */
export async function removeAllRules(tools: IptablesTools): Promise<void> {
  const saved = await saveRules(tools)
  const changes: Record<Table, string[]> = { nat: [], filter: [] }
  for (const table of ['nat', 'filter'] as Table[]) {
    const dump = saved[table]
    if (!dump) continue
    for (const r of dump.rules) {
      if (OUR_CHAINS[table].includes(targetOf(r) ?? '') && !OUR_CHAINS[table].includes(chainOf(r))) changes[table].push(r.replace(/^-A /, '-D '))
    }
    const ours = OUR_CHAINS[table].filter((c) => dump.chains.has(c))
    for (const c of ours) changes[table].push(declare(c)) // flush first: a chain still referenced cannot be deleted
    for (const c of ours) changes[table].push(`-X ${c}`)
  }
  await restoreRules(tools, changes)
}
