// A user-defined network's record as `docker network create` makes it: its id, name, options and
// bridge name, and its subnet (the one asked for, or the next free block after the default
// bridge's). Nothing is made in the kernel here: the manager makes the bridge and the rules after.
import { TockerError } from '../errors.js'
import type { BridgeSet } from './bridge-set.js'
import { randomMac } from './bridge-set.js'
import { formatIPv4, parseCidr } from './ipv4.js'
import { checkCreate, type CreateNetworkRequest } from './network-config.js'
import { createdNow, defaultNetwork, newNetworkId } from './state.js'
import type { NetworkRecord, NetworkState } from './types.js'

/** The new network's record (not yet in `state`); throws Docker's errors for a bad request or no free pool. */
export async function newNetworkRecord(req: CreateNetworkRequest, state: NetworkState, bridges: BridgeSet): Promise<NetworkRecord> {
  const checked = checkCreate(req, Object.values(state.networks))
  const id = newNetworkId()
  const net: NetworkRecord = {
    id,
    name: req.name,
    driver: 'bridge',
    created: createdNow(),
    internal: !!req.internal,
    attachable: !!req.attachable,
    labels: { ...(req.labels ?? {}) },
    options: { ...(req.options ?? {}) },
    bridge: checked.bridge ?? `br-${id.slice(0, 12)}`,
    configured: !!checked.subnet,
    endpoints: {},
  }
  if (checked.subnet) {
    net.subnet = checked.subnet
    net.gateway = checked.gateway
    if (checked.ipRange) net.ipRange = checked.ipRange
  } else {
    // The default bridge keeps the first block (172.17.0.0/16) even before its first use, as
    // Docker's does: user-defined networks start after it.
    const def = defaultNetwork(state)
    if (!def.subnet) await bridges.chooseSubnet(state, def)
    const subnet = await bridges.freeSubnet(state)
    if (!subnet) {
      throw new TockerError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', { daemon: true, code: 'ENOPOOL' })
    }
    net.subnet = subnet
    net.gateway = formatIPv4(parseCidr(subnet)!.network + 1)
  }
  net.bridgeMac = randomMac()
  return net
}
