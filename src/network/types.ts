// The network layer's records: what one container got (its endpoint) and what the default bridge
// network is (its persistent state, one JSON file under the store).
import type { Proto } from './port-spec.js'

/** --network: a veth on the default bridge, only loopback, or the host's own stack. */
export type NetworkMode = 'bridge' | 'none' | 'host'

/** One published port after attach: the host port is always concrete here. */
export interface PublishedPort {
  hostIp: string // "0.0.0.0" = every address of the host
  hostPort: number
  containerPort: number
  proto: Proto
}

/** A container's attachment to the bridge (Docker calls it an endpoint). */
export interface Endpoint {
  containerId: string
  /** The container's name, for Docker's error wording ("... on endpoint web ..."). */
  name?: string
  endpointId: string
  ip: string
  prefixLen: number
  gateway: string
  mac: string
  /** The host end of the veth pair, on the bridge ("veth1a2b3c4"); its peer is eth0 in the container. */
  hostVeth: string
  /** The container's network namespace as given at attach (/proc/<pid>/ns/net). */
  netns: string
  ports: PublishedPort[]
}

export interface NetworkState {
  version: 1
  /** Docker-style network ID (64 hex) of the default "bridge" network. */
  networkId: string
  bridge: string
  /** Chosen once and kept, so addresses stay stable across engine restarts: "172.17.0.0/16". */
  subnet?: string
  gateway?: string
  /** The bridge's own MAC, fixed so it does not change as veths come and go. */
  bridgeMac?: string
  endpoints: Record<string, Endpoint>
}
