// `inspect`'s NetworkSettings, shaped like Docker's: the top-level fields of the default bridge
// (IPAddress, Gateway, MacAddress, Ports …) and the same under Networks.<name>. The types are the
// API's wire types (api/types.ts).
import { portMap } from './port-format.js'
import type { EndpointSettings, NetworkSettings } from '../api/types.js'
import type { Endpoint, NetworkMode } from './types.js'

function endpointSettings(networkId: string, e?: Endpoint): EndpointSettings {
  return {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: e?.mac ?? '',
    NetworkID: networkId,
    EndpointID: e?.endpointId ?? '',
    Gateway: e?.gateway ?? '',
    IPAddress: e?.ip ?? '',
    IPPrefixLen: e?.prefixLen ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: null,
  }
}

/**
 * The settings of a container: running on the bridge (with its endpoint), or not running / none /
 * host (no endpoint: empty addresses, as Docker shows for a stopped container). `exposed` adds
 * exposed-but-unpublished ports as null entries, only while the container runs (Docker shows an
 * empty Ports map for a stopped one).
 */
export function networkSettings(opts: {
  mode: NetworkMode
  networkId?: string
  endpoint?: Endpoint
  exposed?: Record<string, unknown> | null
  running?: boolean
  sandboxKey?: string
}): Required<NetworkSettings> {
  const e = opts.mode === 'bridge' ? opts.endpoint : undefined
  const running = opts.running ?? e !== undefined
  const networkName = opts.mode === 'bridge' ? 'bridge' : opts.mode
  return {
    Bridge: '',
    SandboxKey: running ? (opts.sandboxKey ?? e?.netns ?? '') : '',
    Ports: running ? portMap(e?.ports ?? [], opts.mode === 'bridge' ? opts.exposed : undefined) : {},
    HairpinMode: false,
    EndpointID: e?.endpointId ?? '',
    Gateway: e?.gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: e?.ip ?? '',
    IPPrefixLen: e?.prefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: e?.mac ?? '',
    Networks: { [networkName]: endpointSettings(opts.mode === 'bridge' ? (opts.networkId ?? '') : '', e) },
  }
}
