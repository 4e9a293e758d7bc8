// The engine's network, through the network layer's NetworkManager (src/network/): attach while the
// container's first process waits at its gate, release at exit/rm, reconcile at engine start.
import type { NetworkSettings } from '../api/types.js'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hostsFile, NetworkManager, networkSettings, normalizeMode } from '../network/index.js'
import type { NetworkBackend } from './backend.js'
import { networkKernelView, type NetworkKernelView } from '../network/kernel-view.js'
import type { ContainerRecord } from './state.js'

export class EngineNetwork implements NetworkBackend {
  readonly manager: NetworkManager
  constructor(readonly root: string) {
    this.manager = new NetworkManager({ root })
  }

  async attach(rec: ContainerRecord): Promise<NetworkSettings | undefined> {
    if (!rec.Init) return undefined
    const settings = await this.manager.attach({
      containerId: rec.Id,
      name: rec.Name,
      mode: rec.HostConfig.NetworkMode,
      netns: rec.Init.pid,
      portBindings: rec.HostConfig.PortBindings,
      exposedPorts: rec.Config.ExposedPorts,
      publishAll: rec.HostConfig.PublishAllPorts,
    })
    // /etc/hosts is bind-mounted from the container's dir: rewrite it in place (same inode, so
    // the container sees it) with the address it just got.
    const ip = settings.IPAddress
    if (ip) writeFileSync(join(this.root, 'containers', rec.Id, 'hosts'), hostsFile({ hostname: rec.Config.Hostname!, ip }))
    return settings
  }

  async release(rec: ContainerRecord): Promise<void> {
    await this.manager.release(rec.Id)
  }

  settingsOf(rec: ContainerRecord): NetworkSettings | undefined {
    const mode = normalizeMode(rec.HostConfig.NetworkMode)
    if (mode !== 'bridge') return networkSettings({ mode, running: true, sandboxKey: rec.Init ? `/proc/${rec.Init.pid}/ns/net` : undefined })
    const endpoint = this.manager.endpoint(rec.Id)
    if (!endpoint) return undefined
    return networkSettings({ mode, networkId: this.manager.state().networkId, endpoint, exposed: rec.Config.ExposedPorts })
  }

  async reconcile(running: ContainerRecord[]): Promise<{ warnings: string[] }> {
    return this.manager.reconcile(running.map((r) => ({ containerId: r.Id, netns: r.Init?.pid })))
  }

  bridge(): { name: string; subnet?: string; gateway?: string } {
    const st = this.manager.state()
    return { name: this.manager.bridge, subnet: st.subnet, gateway: st.gateway }
  }

  async kernel(containerId: string, pid: number | undefined): Promise<NetworkKernelView | undefined> {
    const endpoint = this.manager.endpoint(containerId)
    if (!pid && !endpoint) {
      // Stopped and released: only its rules could be left (none should be).
      return networkKernelView({ containerId, pid: undefined, iptables: () => this.manager.iptables() })
    }
    return networkKernelView({ containerId, pid, hostVeth: endpoint?.hostVeth, bridge: endpoint ? this.manager.bridge : undefined, iptables: () => this.manager.iptables() })
  }
}

export async function createNetworkBackend(root: string): Promise<NetworkBackend> {
  return new EngineNetwork(root)
}
