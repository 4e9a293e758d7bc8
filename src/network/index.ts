// src/network owns container networking: the tocker0 bridge, veth pairs, IP leases, iptables NAT
// for published ports, and the Docker-shaped views of them (-p parsing, ps PORTS, inspect, /etc files).
export { NetworkManager, normalizeMode, type AttachRequest, type LiveContainer, type NetworkOptions, type ReconcileReport } from './manager.js'
export { networkSettings } from './inspect.js'
export { parsePortSpec, parsePortSpecs, parseExposeSpec, portRequests, splitPortKey, type LoosePortMap, type PortBinding, type PortMap, type PortSet, type Proto } from './port-spec.js'
export { displayablePorts, portCommandLines, portMap, portSummaries, type PortSummary } from './port-format.js'
export { containerResolvConf, hostResolvConf, hostsFile, resolvConf, DEFAULT_NAMESERVERS } from './etc-files.js'
export { NetworkCommandError } from './command.js'
export type { Endpoint, NetworkMode, NetworkState, PublishedPort } from './types.js'
