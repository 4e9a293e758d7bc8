// The host-port sockets the engine holds open for its containers' published ports (see
// port-reservation.ts for why Docker and tocker keep them), by container: added at attach, closed
// at release (a container publishes on one endpoint only), re-taken by reconcile after an engine
// restart, all closed when the engine stops.
import { holdPort, type HeldPort } from './port-reservation.js'
import type { Endpoint, PublishedPort } from './types.js'

export class HeldPorts {
  #held = new Map<string, HeldPort[]>()

  add(containerId: string, held: HeldPort[]): void {
    if (held.length) this.#held.set(containerId, [...(this.#held.get(containerId) ?? []), ...held])
  }

  /** Close the sockets of these ports of a container (the ones it published on a released endpoint). */
  release(containerId: string, ports: PublishedPort[]): void {
    if (!ports.length) return
    const held = this.#held.get(containerId) ?? []
    const keep = held.filter((h) => !ports.some((p) => p.hostIp === h.hostIp && p.hostPort === h.hostPort && p.proto === h.proto))
    for (const h of held) if (!keep.includes(h)) h.close()
    if (keep.length) this.#held.set(containerId, keep)
    else this.#held.delete(containerId)
  }

  /** Re-take the ports of endpoints whose sockets this engine does not hold (after a restart); a port now bound by another program is a warning. */
  async retake(endpoints: Endpoint[], warnings: string[]): Promise<void> {
    for (const e of endpoints) {
      if (this.#held.has(e.containerId) || !e.ports.length) continue
      const held: HeldPort[] = []
      for (const p of e.ports) {
        try {
          held.push(await holdPort(p.hostIp, p.hostPort, p.proto))
        } catch (err) {
          warnings.push(`${e.containerId.slice(0, 12)}: ${p.hostIp}:${p.hostPort}/${p.proto} is now bound by another program (${(err as NodeJS.ErrnoException).code})`)
        }
      }
      this.#held.set(e.containerId, held)
    }
  }

  /** Close the sockets of every container that has no endpoint any more. */
  keepOnly(endpoints: Endpoint[]): void {
    for (const [id, held] of this.#held) {
      if (endpoints.some((e) => e.containerId === id)) continue
      for (const h of held) h.close()
      this.#held.delete(id)
    }
  }

  closeAll(): void {
    for (const held of this.#held.values()) for (const h of held) h.close()
    this.#held.clear()
  }
}
