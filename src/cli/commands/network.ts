// tocker network create / ls / inspect / rm / connect / disconnect / prune: Docker's network
// commands through the engine's /networks API, with Docker's output (the ID printed by create, the
// "NETWORK ID  NAME  DRIVER  SCOPE" table sorted by name, inspect's JSON array, names printed by rm).
import { filtersJson } from '../filters.js'
import { kvMap } from '../kv.js'
import { LIST_FORMAT_HELP, OBJECT_FORMAT_HELP, type Command } from '../spec.js'
import { writeStdout } from '../output.js'

const t = (en: string, ko: string) => ({ en, ko })

export const networkCreate: Command = {
  usage: '[OPTIONS] NETWORK',
  args: { min: 1, max: 1 },
  options: [
    { name: 'attachable', type: 'bool', description: t('Enable manual container attachment', '컨테이너를 직접 연결할 수 있게 합니다') },
    { name: 'driver', short: 'd', type: 'string', default: 'bridge', description: t('Driver to manage the Network', '네트워크 드라이버 (bridge만 지원)') },
    { name: 'gateway', type: 'list', valueName: 'strings', description: t('IPv4 or IPv6 Gateway for the master subnet', '서브넷의 게이트웨이 주소 (브리지가 갖는 주소)') },
    { name: 'internal', type: 'bool', description: t('Restrict external access to the network', '바깥(인터넷)으로 나가는 길이 없는 네트워크를 만듭니다 (NAT 없음)') },
    { name: 'ip-range', type: 'list', valueName: 'strings', description: t('Allocate container ip from a sub-range', '컨테이너에 줄 주소를 이 범위에서 고릅니다') },
    { name: 'ipam-driver', type: 'string', default: 'default', description: t('IP Address Management Driver', 'IP 주소 관리 드라이버') },
    { name: 'ipv6', type: 'bool', description: t('Enable or disable IPv6 networking', 'IPv6 (지원하지 않음)') },
    { name: 'label', type: 'list', description: t('Set metadata on a network', '네트워크에 메타데이터(레이블)를 붙입니다') },
    { name: 'opt', short: 'o', type: 'list', valueName: 'map', description: t('Set driver specific options', '드라이버 옵션 (com.docker.network.bridge.name=브리지이름)') },
    { name: 'subnet', type: 'list', valueName: 'strings', description: t('Subnet in CIDR format that represents a network segment', '네트워크의 서브넷 (예: 172.30.0.0/16)') },
  ],
  async run({ opts: a, args, g }) {
    const { engineClient } = await import('../engine.js')
    const subnets = (a.subnet as string[] | undefined) ?? []
    const gateways = (a.gateway as string[] | undefined) ?? []
    const ranges = (a['ip-range'] as string[] | undefined) ?? []
    if (gateways.length > subnets.length || ranges.length > subnets.length) {
      const { TockerError } = await import('../../errors.js')
      throw new TockerError(`every ip-range or gateway must have a corresponding subnet`, { code: 'EINVALID', exitCode: 1 })
    }
    const client = await engineClient(g)
    const r = await client.createNetwork({
      Name: args[0]!,
      Driver: a.driver as string,
      Internal: !!a.internal,
      Attachable: !!a.attachable,
      EnableIPv6: !!a.ipv6,
      IPAM: { Driver: a['ipam-driver'] as string, Config: subnets.map((s, i) => ({ Subnet: s, ...(gateways[i] ? { Gateway: gateways[i] } : {}), ...(ranges[i] ? { IPRange: ranges[i] } : {}) })), Options: {} },
      Options: kvMap(a.opt),
      Labels: kvMap(a.label),
      CheckDuplicate: true,
    })
    writeStdout(`${r.Id}\n`)
  },
}

export const networkLs: Command = {
  usage: '[OPTIONS]',
  paths: ['network ls', 'network list'],
  args: { max: 0 },
  options: [
    { name: 'filter', short: 'f', type: 'filter', valueName: 'filter', description: t("Provide filter values (e.g. 'driver=bridge')", "조건으로 걸러 냅니다 (예: 'driver=bridge', 'name=…', 'type=custom')") },
    { name: 'format', type: 'string', description: LIST_FORMAT_HELP },
    { name: 'no-trunc', type: 'bool', description: t('Do not truncate the output', '출력을 줄이지 않습니다 (전체 ID)') },
    { name: 'quiet', short: 'q', type: 'bool', description: t('Only display network IDs', '네트워크 ID만 출력합니다') },
  ],
  async run({ opts: a, g }) {
    const [{ engineClient }, { formatRows }] = await Promise.all([import('../engine.js'), import('../format/template.js')])
    const client = await engineClient(g)
    const list = await client.listNetworks(filtersJson((a.filter as string[] | undefined) ?? []))
    list.sort((x, y) => (x.Name < y.Name ? -1 : x.Name > y.Name ? 1 : 0))
    const rows = list.map((n) => ({
      ID: a['no-trunc'] ? n.Id : n.Id.slice(0, 12),
      Name: n.Name,
      Driver: n.Driver,
      Scope: n.Scope,
      IPv6: String(n.EnableIPv6),
      Internal: String(n.Internal),
      Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
      CreatedAt: n.Created,
    }))
    const format = a.quiet ? '{{.ID}}' : a.format ? String(a.format) : 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}'
    writeStdout(formatRows(format, rows, { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' }))
  },
}

export const networkInspect: Command = {
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  args: { min: 1 },
  options: [
    { name: 'format', short: 'f', type: 'string', description: OBJECT_FORMAT_HELP },
    { name: 'verbose', short: 'v', type: 'bool', description: t('Verbose output for diagnostics', '진단용 자세한 출력') },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { render }, { errorText }] = await Promise.all([import('../engine.js'), import('../format/template.js'), import('../report.js')])
    const client = await engineClient(g)
    const found: unknown[] = []
    let failed = false
    for (const name of args) {
      try {
        found.push(await client.inspectNetwork(name))
      } catch (err) {
        failed = true
        process.stderr.write(errorText(err))
      }
    }
    if (a.format) { for (const o of found) writeStdout(render(String(a.format), o) + '\n') }
    else writeStdout(JSON.stringify(found, null, 4) + '\n')
    return failed ? 1 : 0
  },
}

export const networkRm: Command = {
  usage: 'NETWORK [NETWORK...]',
  paths: ['network rm', 'network remove'],
  args: { min: 1 },
  options: [{ name: 'force', short: 'f', type: 'bool', description: t('Do not error if the network does not exist', '없는 네트워크여도 오류 없이 넘어갑니다') }],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { errorText }] = await Promise.all([import('../engine.js'), import('../report.js')])
    const client = await engineClient(g)
    let failed = false
    // One after the other, as Docker's CLI: each name printed once it is gone.
    for (const name of args) {
      try {
        await client.removeNetwork(name)
        writeStdout(`${name}\n`)
      } catch (err) {
        if (a.force && (err as { status?: number }).status === 404) continue
        failed = true
        process.stderr.write(errorText(err))
      }
    }
    return failed ? 1 : 0
  },
}

export const networkConnect: Command = {
  usage: '[OPTIONS] NETWORK CONTAINER',
  args: { min: 2, max: 2 },
  options: [
    { name: 'alias', type: 'list', valueName: 'strings', description: t('Add network-scoped alias for the container', '이 네트워크에서만 통하는 컨테이너의 별칭 (DNS 이름)') },
    { name: 'driver-opt', type: 'list', valueName: 'strings', description: t('driver options for the network', '네트워크 드라이버 옵션') },
    { name: 'ip', type: 'string', description: t('IPv4 address (e.g., "172.30.100.104")', '컨테이너에 줄 IPv4 주소 (예: "172.30.100.104")') },
    { name: 'link', type: 'list', description: t('Add link to another container', '다른 컨테이너를 별칭으로 연결합니다 (이 컨테이너에서만 통하는 이름)') },
  ],
  async run({ opts: a, args, g }) {
    const { engineClient } = await import('../engine.js')
    const client = await engineClient(g)
    await client.connectNetwork(args[0]!, {
      Container: args[1]!,
      EndpointConfig: { Aliases: (a.alias as string[] | undefined) ?? [], Links: (a.link as string[] | undefined) ?? [], IPAMConfig: a.ip ? { IPv4Address: String(a.ip) } : undefined, DriverOpts: kvMap(a['driver-opt']) },
    })
  },
}

export const networkDisconnect: Command = {
  usage: '[OPTIONS] NETWORK CONTAINER',
  args: { min: 2, max: 2 },
  options: [{ name: 'force', short: 'f', type: 'bool', description: t('Force the container to disconnect from a network', '컨테이너를 네트워크에서 강제로 떼어 냅니다') }],
  async run({ opts: a, args, g }) {
    const { engineClient } = await import('../engine.js')
    const client = await engineClient(g)
    await client.disconnectNetwork(args[0]!, { Container: args[1]!, Force: !!a.force })
  },
}

export const networkPrune: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  options: [
    { name: 'filter', type: 'filter', valueName: 'filter', description: t('Provide filter values (e.g. "until=<timestamp>")', '조건으로 걸러 냅니다 (예: "until=24h", "label=k=v")') },
    { name: 'force', short: 'f', type: 'bool', description: t('Do not prompt for confirmation', '확인을 묻지 않습니다') },
  ],
  async run({ opts: a, g }) {
    const [{ engineClient }, { confirm }] = await Promise.all([import('../engine.js'), import('./prune.js')])
    if (!a.force && !(await confirm('WARNING! This will remove all custom networks not used by at least one container.'))) return 0
    const client = await engineClient(g)
    const r = await client.pruneNetworks(filtersJson((a.filter as string[] | undefined) ?? []))
    if (r.NetworksDeleted?.length) writeStdout(`Deleted Networks:\n${r.NetworksDeleted.join('\n')}\n`)
    return 0
  },
}
