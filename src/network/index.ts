// src/network owns container networking: the bridges (the default tocker0 and one per user-defined
// network), veth pairs, IP leases, iptables NAT and isolation, name resolution on user-defined
// networks (dns/), and the Docker-shaped views of them (-p parsing, ps PORTS, inspect, /etc files).
export { NetworkCommandError } from './command.js'
export { DNS_IP } from './dns/names.js'
export { containerResolvConf, embeddedResolvConf, hostResolvConf, hostsFile, resolvConf, DEFAULT_NAMESERVERS } from './etc-files.js'
export { containerNetworkSettings, networkResource, networkSettings, type EndpointConfig } from './inspect.js'
export { isUserDefined, NetworkManager, normalizeMode, type AttachRequest, type EndpointOf, type LiveContainer, type NetworkOptions, type ReconcileReport } from './manager.js'
export { findNetwork, networkNotFound, type CreateNetworkRequest } from './network-config.js'
export { displayablePorts, portCommandLines, portMap, portSummaries, type PortSummary } from './port-format.js'
export { parsePortSpec, parsePortSpecs, parseExposeSpec, portRequests, splitPortKey, type LoosePortMap, type PortBinding, type PortMap, type PortSet, type Proto } from './port-spec.js'
export type { Endpoint, NetworkMode, NetworkRecord, NetworkState, PublishedPort } from './types.js'
