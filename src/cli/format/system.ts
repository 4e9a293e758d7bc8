// `tocker version` and `tocker info` as Docker lays them out (cli/command/system: a template
// through a tabwriter whose first column is at least 20 wide), and Docker's units.BytesSize for
// the memory ("3.822GiB").

/** Docker's units.BytesSize: binary units, 4 significant digits. */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }
  return `${Number(n.toPrecision(4))}${units[i]}`
}

/** "key:\tvalue" rows aligned as Go's tabwriter(minwidth 20, padding 1) aligns a block. */
export function aligned(rows: [string, string][]): string {
  const w = Math.max(20, ...rows.map(([k]) => k.length + 1))
  return rows.map(([k, v]) => `${k.padEnd(w)}${v}`).join('\n')
}

export interface ClientVersion {
  Version: string
  ApiVersion: string
  DefaultAPIVersion: string
  GitCommit: string
  GoVersion: string
  Os: string
  Arch: string
  BuildTime: string
  Context: string
}

export function clientVersionText(c: ClientVersion): string {
  return `Client:\n${
    aligned([
      [' Version:', c.Version],
      [' API version:', c.ApiVersion],
      [' Node version:', c.GoVersion],
      [' OS/Arch:', `${c.Os}/${c.Arch}`],
      [' Context:', c.Context],
    ])
  }\n`
}

export function serverVersionText(s: any): string {
  let out = `\nServer:${s?.Platform?.Name ? ' ' + s.Platform.Name : ''}\n`
  for (const c of s?.Components ?? []) {
    const d = c.Details ?? {}
    out += ` ${c.Name}:\n`
    const rows: [string, string][] = c.Name === 'Engine'
      ? [
        ['  Version:', c.Version],
        ['  API version:', `${d.ApiVersion} (minimum version ${d.MinAPIVersion})`],
        ['  Node version:', String(d.GoVersion ?? '').replace(/^node /, '')],
        ['  OS/Arch:', `${d.Os}/${d.Arch}`],
        ['  Kernel Version:', d.KernelVersion ?? s.KernelVersion ?? ''],
        ['  Experimental:', String(d.Experimental ?? false)],
      ]
      : [['  Version:', c.Version], ...Object.entries(d).map(([k, v]): [string, string] => [`  ${k}:`, String(v)])]
    out += aligned(rows.filter(([, v]) => v !== '' && v !== undefined)) + '\n'
  }
  return out
}

/** The "Server:" part of `docker info` (cli/command/system/info.go's prettyPrintServerInfo). */
export function serverInfoText(i: any): string {
  const lines: string[] = ['Server:']
  const add = (indent: number, k: string, v: unknown) => {
    if (v !== undefined && v !== null && v !== '') lines.push(`${' '.repeat(indent)}${k}: ${v}`)
  }
  add(1, 'Containers', i.Containers)
  add(2, 'Running', i.ContainersRunning)
  add(2, 'Paused', i.ContainersPaused)
  add(2, 'Stopped', i.ContainersStopped)
  add(1, 'Images', i.Images)
  add(1, 'Server Version', i.ServerVersion)
  add(1, 'Storage Driver', i.Driver)
  for (const [k, v] of (i.DriverStatus ?? []) as [string, string][]) add(2, k, v)
  add(1, 'Logging Driver', i.LoggingDriver)
  add(1, 'Cgroup Driver', i.CgroupDriver)
  add(1, 'Cgroup Version', i.CgroupVersion)
  if (i.Plugins) {
    lines.push(' Plugins:')
    for (const [k, v] of Object.entries(i.Plugins as Record<string, string[] | null>)) if (v?.length) lines.push(`  ${k}: ${v.join(' ')}`)
  }
  add(1, 'Swarm', i.Swarm?.LocalNodeState)
  if (i.Runtimes) add(1, 'Runtimes', Object.keys(i.Runtimes).join(' '))
  add(1, 'Default Runtime', i.DefaultRuntime)
  if (i.SecurityOptions?.length) {
    lines.push(' Security Options:')
    for (const o of i.SecurityOptions as string[]) {
      for (const part of o.split(',')) {
        const [k, v] = part.split('=')
        lines.push(k === 'name' ? `  ${v}` : `   ${k[0].toUpperCase()}${k.slice(1)}: ${v}`)
      }
    }
  }
  add(1, 'Kernel Version', i.KernelVersion)
  add(1, 'Operating System', i.OperatingSystem)
  add(1, 'OSType', i.OSType)
  add(1, 'Architecture', i.Architecture)
  add(1, 'CPUs', i.NCPU)
  add(1, 'Total Memory', typeof i.MemTotal === 'number' ? bytesSize(i.MemTotal) : undefined)
  add(1, 'Name', i.Name)
  add(1, 'ID', i.ID)
  add(1, 'Docker Root Dir', i.DockerRootDir)
  add(1, 'Debug Mode', i.Debug === undefined ? undefined : String(i.Debug))
  add(1, 'Experimental', i.ExperimentalBuild === undefined ? undefined : String(i.ExperimentalBuild))
  if (i.RegistryConfig?.InsecureRegistryCIDRs?.length || i.RegistryConfig?.IndexConfigs) {
    const insecure = [
      ...Object.values((i.RegistryConfig.IndexConfigs ?? {}) as Record<string, { Name: string; Secure: boolean }>).filter((c) => !c.Secure).map((c) => c.Name),
      ...((i.RegistryConfig.InsecureRegistryCIDRs ?? []) as string[]),
    ]
    if (insecure.length) lines.push(' Insecure Registries:', ...insecure.map((r) => `  ${r}`))
  }
  if (i.RegistryConfig?.Mirrors?.length) lines.push(' Registry Mirrors:', ...(i.RegistryConfig.Mirrors as string[]).map((m) => `  ${m}`))
  add(1, 'Live Restore Enabled', i.LiveRestoreEnabled === undefined ? undefined : String(i.LiveRestoreEnabled))
  // The default bridge's subnet (what a learner finds with `ip addr show tocker0`).
  if (i.DefaultAddressPools?.length) {
    lines.push(' Default Address Pools:', ...(i.DefaultAddressPools as { Base: string; Size: number }[]).map((p) => `   Base: ${p.Base}, Size: ${p.Size}`))
  }
  let out = lines.join('\n') + '\n'
  if (i.Warnings?.length) out += '\n' + (i.Warnings as string[]).join('\n') + '\n'
  return out
}
