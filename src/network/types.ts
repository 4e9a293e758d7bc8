// The network layer's records: the networks (the default bridge, user-defined bridges, and the
// predefined host and none), and what one container got on one of them (its endpoint). One JSON
// file under the store holds them all (state.ts).
import type { Proto } from './port-spec.js'

/** --network: a veth on a bridge network, only loopback, or the host's own stack. */
export type NetworkMode = 'bridge' | 'none' | 'host'

/** One published port after attach: the host port is always concrete here. */
export interface PublishedPort {
  hostIp: string // "0.0.0.0" = every address of the host
  hostPort: number
  containerPort: number
  proto: Proto
}

/** A container's attachment to one network (Docker calls it an endpoint). */
export interface Endpoint {
  containerId: string
  /** The container's name, for Docker's error wording ("... on endpoint web ..."). */
  name?: string
  endpointId: string
  /** The network it is on (absent in records from before user-defined networks: the default bridge). */
  networkId?: string
  ip: string
  prefixLen: number
  gateway: string
  mac: string
  /** The host end of the veth pair, on the bridge ("veth1a2b3c4"); its peer is `ifname` in the container. */
  hostVeth: string
  /** The container's end: eth0 for the first network, eth1 for the next… (absent: eth0). */
  ifname?: string
  /** The container's network namespace as given at attach (/proc/<pid>/ns/net). */
  netns: string
  /** Published ports: only on the endpoint that carries the container's default route. */
  ports: PublishedPort[]
  /** This endpoint carries the container's default route (absent in old records: true). */
  defaultRoute?: boolean
  /** The names other containers on this network resolve to it: name, short id, --network-alias. */
  dnsNames?: string[]
  /** --link on this network: alias -> container name, resolved for this container only. */
  links?: Record<string, string>
  /** --ip: the address was asked for (kept across restarts). */
  requestedIp?: string
}

/** A network: a Linux bridge with its subnet, or one of the predefined host / none. */
export interface NetworkRecord {
  id: string
  name: string
  driver: 'bridge' | 'host' | 'null'
  /** RFC 3339 with nanoseconds, as Docker's Created. */
  created: string
  /** The default bridge (tocker0), host and none: Docker's predefined networks, never removed. */
  predefined?: boolean
  internal?: boolean
  attachable?: boolean
  labels?: Record<string, string>
  options?: Record<string, string>
  /** The Linux bridge: "tocker0" for the default network, "br-<12 hex of the id>" for the others. */
  bridge?: string
  /** Chosen once and kept: "172.18.0.0/16". The default bridge's is chosen at its first use. */
  subnet?: string
  gateway?: string
  /** --ip-range: addresses are given out from here only. */
  ipRange?: string
  /** The subnet was given by the user (then --ip may be asked for). */
  configured?: boolean
  /** The bridge's own MAC, fixed so it does not change as veths come and go. */
  bridgeMac?: string
  endpoints: Record<string, Endpoint>
}

export interface NetworkState {
  version: 2
  networks: Record<string, NetworkRecord>
}
