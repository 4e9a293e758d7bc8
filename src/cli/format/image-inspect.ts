// `image inspect` JSON, shaped like Docker 25's (API 1.44): Id, RepoTags, RepoDigests, Parent,
// Comment, Created, DockerVersion, Author, Config (the container config with Docker's defaults),
// Architecture, Os, Size, GraphDriver (here: the overlay lower dirs of the layer store), RootFS,
// Metadata.
import type { ImageRecord } from '../../image/store.js'
import { familiarString, parseReference } from '../../image/reference.js'

export function imageInspect(img: ImageRecord, layerDirs: string[]): Record<string, unknown> {
  const c = img.config
  const cc = c.config ?? {}
  const data: Record<string, string> = {}
  // Docker's overlay2 names the top layer UpperDir and the rest LowerDir; for an image both are
  // read-only layer directories (a container adds its own upper dir on top).
  if (layerDirs.length > 1) data.LowerDir = layerDirs.slice(1).join(':')
  if (layerDirs.length > 0) data.UpperDir = layerDirs[0]
  return {
    Id: img.id,
    RepoTags: img.repoTags.map(familiar),
    RepoDigests: img.repoDigests.map(familiar),
    Parent: '',
    Comment: c.history?.find((h) => h.comment)?.comment ?? '',
    Created: img.created || '0001-01-01T00:00:00Z',
    DockerVersion: (c as { docker_version?: string }).docker_version ?? '',
    Author: c.author ?? '',
    Config: {
      Hostname: '',
      Domainname: '',
      User: cc.User ?? '',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      ...(cc.ExposedPorts ? { ExposedPorts: cc.ExposedPorts } : {}),
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: cc.Env ?? null,
      Cmd: cc.Cmd ?? null,
      Image: '',
      Volumes: cc.Volumes ?? null,
      WorkingDir: cc.WorkingDir ?? '',
      Entrypoint: cc.Entrypoint ?? null,
      OnBuild: null,
      Labels: cc.Labels ?? null,
      ...(cc.StopSignal ? { StopSignal: cc.StopSignal } : {}),
    },
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    Size: img.size,
    GraphDriver: { Data: data, Name: 'overlay' },
    RootFS: { Type: 'layers', Layers: img.diffIDs },
    Metadata: { LastTagTime: img.lastTagTime ?? '0001-01-01T00:00:00Z' },
  }
}

function familiar(full: string): string {
  try {
    return familiarString(parseReference(full))
  } catch {
    return full
  }
}
