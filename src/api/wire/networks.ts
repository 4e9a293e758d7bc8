// Wire types of the network endpoints (Docker Engine API 1.43 shapes).

import type { EndpointConfigBody } from './container-create.js'

export interface IPAMConfig {
  Subnet?: string
  IPRange?: string
  Gateway?: string
  AuxiliaryAddresses?: Record<string, string> | null
}

/** GET /networks/{id}, an element of GET /networks (Containers empty in lists, as Docker's). */
export interface NetworkResource {
  Name: string
  Id: string
  Created: string
  Scope: 'local'
  Driver: string
  EnableIPv6: boolean
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IPAMConfig[] | null }
  Internal: boolean
  Attachable: boolean
  Ingress: boolean
  ConfigFrom: { Network: string }
  ConfigOnly: boolean
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>
  Options: Record<string, string>
  Labels: Record<string, string>
}

/** POST /networks/create */
export interface NetworkCreateBody {
  Name: string
  CheckDuplicate?: boolean
  Driver?: string
  Scope?: string
  Internal?: boolean
  Attachable?: boolean
  Ingress?: boolean
  ConfigOnly?: boolean
  ConfigFrom?: { Network?: string } | null
  EnableIPv4?: boolean
  EnableIPv6?: boolean
  IPAM?: { Driver?: string; Config?: IPAMConfig[] | null; Options?: Record<string, string> | null } | null
  Options?: Record<string, string> | null
  Labels?: Record<string, string> | null
}

export interface NetworkCreateResponse {
  Id: string
  Warning: string
}

/** POST /networks/{id}/connect */
export interface NetworkConnectBody {
  Container: string
  EndpointConfig?: EndpointConfigBody | null
}

/** POST /networks/{id}/disconnect */
export interface NetworkDisconnectBody {
  Container: string
  Force?: boolean
}

export interface NetworkPruneReport {
  NetworksDeleted: string[] | null
}
