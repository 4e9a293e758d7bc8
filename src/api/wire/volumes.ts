// Wire types of the volume endpoints (Docker Engine API 1.43 shapes).

/** GET /volumes/{name}, an element of GET /volumes. */
export interface Volume {
  CreatedAt: string
  Driver: string
  Labels: Record<string, string> | null
  Mountpoint: string
  Name: string
  Options: Record<string, string> | null
  Scope: 'local'
}

/** POST /volumes/create */
export interface VolumeCreateBody {
  Name?: string
  Driver?: string
  DriverOpts?: Record<string, string> | null
  Labels?: Record<string, string> | null
}

export interface VolumeListResponse {
  Volumes: Volume[]
  Warnings: string[] | null
}

export interface VolumePruneReport {
  VolumesDeleted: string[] | null
  SpaceReclaimed: number
}
