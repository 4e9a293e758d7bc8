// `tocker images` rows as Docker's CLI builds them (cli/command/formatter/image.go): one row per
// repository:tag; with --digests one per tag and digest of that repository; digest-only references
// as "<none>" tags; images without any reference as "<none> <none>". Newest image first.
import type { ImageSummary } from '../../api/types.js'
import { familiarName, parseReference } from '../../image/reference.js'
import { ago, goTimeUtc, humanSize, table } from '../output.js'
import type { Row } from './template.js'

/** `tocker images`' table when no --format, -q or --digests asks for another. */
export const DEFAULT_IMAGES_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'

/**
 * DEFAULT_IMAGES_FORMAT's text, laid out from the rows as `tocker ps` lays out its table: what
 * field-rows.ts makes of that template (its fields are strings without tabs in every row:
 * test/unit/cli/image-rows), without the five regular expressions that reading a template
 * compiles at their first use, nor loading field-rows.ts: ~0.7 M instructions of a plain
 * `tocker images` (callgrind).
 */
export function defaultImagesTable(rows: Row[]): string {
  return table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows.map((r) => [r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size] as string[]), 10)
}

export interface ImageRowOptions {
  digests: boolean
  noTrunc: boolean
  now?: number
}

export const IMAGE_HEADERS: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
  VirtualSize: 'VIRTUAL SIZE',
}

/** GET /images/json's list (newest first, as the engine sends it) as table rows. */
export function imageRows(images: ImageSummary[], opts: ImageRowOptions): Row[] {
  const rows: Row[] = []
  for (const summary of images) {
    const img = { id: summary.Id, repoTags: summary.RepoTags ?? [], repoDigests: summary.RepoDigests ?? [], created: summary.Created, size: summary.Size, containers: summary.Containers }
    const add = (repo: string, tag: string, digest: string) => rows.push(row(img, repo, tag, digest, opts))
    if (img.repoTags.length === 0 && img.repoDigests.length === 0) {
      add('<none>', '<none>', '<none>')
      continue
    }
    const tagsByRepo = new Map<string, string[]>()
    for (const t of img.repoTags) {
      const [name, tag] = repoAndTag(t)
      if (tag === undefined) continue
      tagsByRepo.set(name, [...(tagsByRepo.get(name) ?? []), tag])
    }
    const digestsByRepo = new Map<string, string[]>()
    for (const d of img.repoDigests) {
      const ref = parseReference(d)
      if (ref.digest === undefined) continue
      const name = familiarName(ref)
      digestsByRepo.set(name, [...(digestsByRepo.get(name) ?? []), ref.digest])
    }
    for (const repo of [...tagsByRepo.keys()].sort()) {
      const digests = opts.digests ? digestsByRepo.get(repo) ?? [] : []
      digestsByRepo.delete(repo)
      for (const tag of tagsByRepo.get(repo)!.sort()) {
        if (digests.length === 0) add(repo, tag, '<none>')
        else for (const d of digests) add(repo, tag, d)
      }
    }
    for (const repo of [...digestsByRepo.keys()].sort()) {
      if (opts.digests) { for (const d of digestsByRepo.get(repo)!) add(repo, '<none>', d) }
      else add(repo, '<none>', '')
    }
  }
  return rows
}

/**
 * An official image's "name:tag" (what the engine lists for busybox, alpine…): its one path
 * component and its tag, as distribution/reference's grammar has them (path-component,
 * tag). Anything else is undefined and goes through parseReference.
 */
const OFFICIAL_TAGGED = /^([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*):([\w][\w.-]{0,127})$/

/**
 * A RepoTags entry's familiar repository name and tag. "name:tag" of an official image is split
 * here: its meaning is plain (docker.io/library/<name>, which Docker shows as <name>), and
 * parseReference's full grammar costs the first call ~1.2 M instructions (compiling its regular
 * expressions), ~5 % of a `tocker images`. The same answer as parseReference + familiarName
 * (test/unit/cli/format: every reference of its table both ways).
 */
export function repoAndTag(t: string): [name: string, tag: string | undefined] {
  const m = OFFICIAL_TAGGED.exec(t)
  // 247: the path is "library/<name>", at most 255 characters.
  if (m && m[1].length <= 247) return [m[1], m[2]]
  const ref = parseReference(t)
  return [familiarName(ref), ref.tag]
}

interface ImageRow {
  id: string
  repoTags: string[]
  repoDigests: string[]
  /** Unix seconds. */
  created: number
  size: number
  containers: number
}

function row(img: ImageRow, repo: string, tag: string, digest: string, opts: ImageRowOptions): Row {
  const created = img.created > 0 ? img.created * 1000 : NaN
  return {
    ID: opts.noTrunc ? img.id : img.id.slice(7, 19),
    Repository: repo,
    Tag: tag,
    Digest: digest,
    CreatedSince: Number.isNaN(created) ? 'N/A' : ago(created, opts.now),
    CreatedAt: Number.isNaN(created) ? '' : goTimeUtc(created),
    Size: humanSize(img.size),
    Containers: img.containers >= 0 ? String(img.containers) : 'N/A',
    SharedSize: 'N/A',
    UniqueSize: 'N/A',
    VirtualSize: humanSize(img.size),
  }
}
