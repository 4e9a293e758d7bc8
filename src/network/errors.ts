// The network layer's errors that reach a person, in Docker's words.
import { isUserFacing, TockerError } from '../errors.js'

/** "driver failed programming external connectivity on endpoint web (<id>): Bind for 0.0.0.0:8081 failed: port is already allocated" */
export function portAllocatedError(endpoint: string, endpointId: string, hostIp: string, hostPort: number | string): TockerError {
  return new TockerError(
    `driver failed programming external connectivity on endpoint ${endpoint} (${endpointId}): Bind for ${hostIp}:${hostPort} failed: port is already allocated`,
    { code: 'EPORTALLOCATED', daemon: true, hint: 'Choose another host port (-p OTHER:…) or stop the container or program that uses it.' },
  )
}

/** A bind that failed for another reason than "in use" (an address the host does not have...). */
export function bindError(endpoint: string, endpointId: string, hostIp: string, hostPort: number, proto: string, err: NodeJS.ErrnoException): TockerError {
  const why = err.code === 'EADDRNOTAVAIL' ? 'cannot assign requested address' : err.code === 'EACCES' ? 'permission denied' : (err.message ?? String(err))
  return new TockerError(
    `driver failed programming external connectivity on endpoint ${endpoint} (${endpointId}): Error starting userland proxy: listen ${proto}4 ${hostIp}:${hostPort}: bind: ${why}`,
    { code: 'EBIND', daemon: true },
  )
}

export function noAddressesError(network = 'bridge'): TockerError {
  return new TockerError(`no available IPv4 addresses on this network's address pools: ${network}`, { code: 'ENOADDR', daemon: true })
}

/** Every port of the dynamic range (or of a -p 8000-8010:80 range) is taken: Docker's portallocator words. */
export function noFreePortError(endpoint: string, endpointId: string): TockerError {
  return new TockerError(
    `driver failed programming external connectivity on endpoint ${endpoint} (${endpointId}): all ports are allocated`,
    { code: 'EPORTALLOCATED', daemon: true },
  )
}

/** What attach throws: an error already worded for people as is, anything else inside setupError. */
export function attachError(containerName: string, err: unknown): TockerError {
  return isUserFacing(err) ? err : setupError(containerName, err)
}

/** A kernel-side step failed (ip/iptables said no): Docker's generic shape plus the tool's own words. */
export function setupError(containerName: string, cause: unknown): TockerError {
  const why = cause instanceof Error ? cause.message : String(cause)
  return new TockerError(`failed to set up container networking for ${containerName}: ${why}`, { code: 'ENETSETUP', daemon: true, cause })
}
