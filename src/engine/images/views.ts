// How the engine shows an image on the API: GET /images/json summaries, GET /images/{name}/json
// (Docker's image inspect) and GET /images/{name}/history, built from the store's records.
// References are shown the short way people type them ("busybox:latest").
import type { ImageHistoryItem, ImageInspect, ImageSummary } from '../../api/types.js'
import { ZERO_TIME } from '../../api/types.js'
import { familiarString, parseReference } from '../../image/reference.js'
import type { ImageRecord, ImageStore } from '../../image/store.js'

export function familiar(full: string): string {
  try {
    return familiarString(parseReference(full))
  } catch {
    return full
  }
}

function unixSeconds(date: string | undefined): number {
  const ms = date ? Date.parse(date) : NaN
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000)
}

export function imageSummary(img: ImageRecord, containers: number, sharedSize = -1): ImageSummary {
  return {
    Id: img.id,
    ParentId: img.parent ?? '',
    RepoTags: img.repoTags.map(familiar),
    RepoDigests: img.repoDigests.map(familiar),
    Created: unixSeconds(img.created),
    Size: img.size,
    SharedSize: sharedSize,
    VirtualSize: img.size,
    Labels: img.config.config?.Labels ?? {},
    Containers: containers,
  }
}

/** Docker 24's image inspect (API 1.43): the container config with Docker's defaults filled in. */
export function imageInspect(img: ImageRecord, layerDirs: string[]): ImageInspect {
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
    Parent: img.parent ?? '',
    Comment: c.history?.find((h) => h.comment)?.comment ?? '',
    Created: img.created || ZERO_TIME,
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
      ...(cc.Healthcheck ? { Healthcheck: cc.Healthcheck } : {}),
      ...(cc.ArgsEscaped ? { ArgsEscaped: true } : {}),
      Image: '',
      Volumes: cc.Volumes ?? null,
      WorkingDir: cc.WorkingDir ?? '',
      Entrypoint: cc.Entrypoint ?? null,
      OnBuild: cc.OnBuild ?? null,
      Labels: cc.Labels ?? null,
      ...(cc.StopSignal ? { StopSignal: cc.StopSignal } : {}),
      ...(cc.Shell ? { Shell: cc.Shell } : {}),
    },
    Architecture: c.architecture,
    ...(c.variant ? { Variant: c.variant } : {}),
    Os: c.os,
    Size: img.size,
    VirtualSize: img.size,
    GraphDriver: { Data: data, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: img.diffIDs },
    Metadata: { LastTagTime: img.lastTagTime ?? ZERO_TIME },
  }
}

/**
 * moby's ImageHistory: one entry per history record of the config, newest first; a record that
 * made a layer gets that layer's size. The entries are named by walking the parent chain: the top
 * one is the image, the next its parent (the build step before), and so on while images made here
 * have parents; below that (a pulled image has none) they are "<missing>", as in Docker.
 */
export function imageHistory(img: ImageRecord, store: ImageStore): ImageHistoryItem[] {
  const out: ImageHistoryItem[] = []
  let layer = 0
  for (const h of img.config.history ?? []) {
    let size = 0
    if (!h.empty_layer) {
      const diffID = img.diffIDs[layer++]
      size = diffID ? store.layerInfo(diffID)?.size ?? 0 : 0
    }
    out.unshift({ Id: '<missing>', Created: unixSeconds(h.created), CreatedBy: h.created_by ?? '', Tags: null, Size: size, Comment: h.comment ?? '' })
  }
  let at: ImageRecord | undefined = img
  for (const entry of out) {
    if (!at) break
    entry.Id = at.id
    const tags = at.repoTags.map(familiar)
    entry.Tags = tags.length ? tags : null
    at = at.parent ? store.get(at.parent) : undefined
  }
  return out
}
