// Wire types of the image and system endpoints (Docker Engine API 1.43 shapes): image lists,
// inspect, history, delete and prune reports, registry auth and disk usage.

import type { ContainerSummary } from './containers.js'
import type { Volume } from './volumes.js'

/** GET /images/json element (served from the image store). */
export interface ImageSummary {
  Id: string
  ParentId: string
  RepoTags: string[]
  RepoDigests: string[]
  Created: number
  Size: number
  SharedSize: number
  VirtualSize?: number
  Labels: Record<string, string> | null
  Containers: number
}

/** One element of DELETE /images/{name} and of ImagesDeleted in POST /images/prune. */
export type ImageDeleteItem = { Untagged: string } | { Deleted: string }

export interface ImagePruneReport {
  ImagesDeleted: ImageDeleteItem[] | null
  SpaceReclaimed: number
}

/** GET /images/{name}/history element, newest first. */
export interface ImageHistoryItem {
  Id: string // the image ID for the top entry, "<missing>" below it
  Created: number // unix seconds
  CreatedBy: string
  Tags: string[] | null
  Size: number
  Comment: string
}

/** GET /images/{name}/json. */
export interface ImageInspect {
  Id: string
  RepoTags: string[]
  RepoDigests: string[]
  Parent: string
  Comment: string
  Created: string
  DockerVersion: string
  Author: string
  Config: Record<string, unknown>
  Architecture: string
  Variant?: string
  Os: string
  Size: number
  VirtualSize?: number
  GraphDriver: { Name: string; Data: Record<string, string> }
  RootFS: { Type: string; Layers: string[] }
  Metadata: { LastTagTime: string }
}

/** POST /auth body (Docker's registry.AuthConfig), also what X-Registry-Auth carries, base64url'd. */
export interface AuthConfig {
  username?: string
  password?: string
  auth?: string
  email?: string
  serveraddress?: string
  identitytoken?: string
  registrytoken?: string
}

/** GET /system/df. */
export interface DiskUsage {
  LayersSize: number
  Images: ImageSummary[]
  Containers: (ContainerSummary & { SizeRw: number; SizeRootFs: number })[]
  Volumes: (Volume & { UsageData: { Size: number; RefCount: number } })[]
  BuildCache: unknown[]
}
