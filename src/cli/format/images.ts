// `tocker images` rows as Docker's CLI builds them (cli/command/formatter/image.go): one row per
// repository:tag; with --digests one per tag and digest of that repository; digest-only references
// as "<none>" tags; images without any reference as "<none> <none>". Newest image first.
import type { ImageRecord } from '../../image/store.js'
import { familiarName, familiarString, parseReference } from '../../image/reference.js'
import { TockerError } from '../../errors.js'
import { ago, humanSize } from '../output.js'
import type { Row } from './template.js'

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

export function imageRows(images: ImageRecord[], opts: ImageRowOptions): Row[] {
  const sorted = [...images].sort((a, b) => Date.parse(b.created || '0') - Date.parse(a.created || '0') || a.id.localeCompare(b.id))
  const rows: Row[] = []
  for (const img of sorted) {
    const add = (repo: string, tag: string, digest: string) => rows.push(row(img, repo, tag, digest, opts))
    if (img.repoTags.length === 0 && img.repoDigests.length === 0) {
      add('<none>', '<none>', '<none>')
      continue
    }
    const tagsByRepo = new Map<string, string[]>()
    for (const t of img.repoTags) {
      const ref = parseReference(t)
      if (ref.tag === undefined) continue
      const name = familiarName(ref)
      tagsByRepo.set(name, [...(tagsByRepo.get(name) ?? []), ref.tag])
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
      if (opts.digests) for (const d of digestsByRepo.get(repo)!) add(repo, '<none>', d)
      else add(repo, '<none>', '')
    }
  }
  return rows
}

function row(img: ImageRecord, repo: string, tag: string, digest: string, opts: ImageRowOptions): Row {
  const created = img.created ? Date.parse(img.created) : NaN
  return {
    ID: opts.noTrunc ? img.id : img.id.slice(7, 19),
    Repository: repo,
    Tag: tag,
    Digest: digest,
    CreatedSince: Number.isNaN(created) ? 'N/A' : ago(created, opts.now),
    CreatedAt: Number.isNaN(created) ? '' : goTime(new Date(created)),
    Size: humanSize(img.size),
    Containers: 'N/A',
    SharedSize: 'N/A',
    UniqueSize: 'N/A',
    VirtualSize: humanSize(img.size),
  }
}

/** Go's time.Time.String() in UTC, as Docker's CreatedAt: "2024-05-01 10:11:12 +0000 UTC". */
function goTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC')
}

// --- filters (positional REPOSITORY[:TAG] and --filter) ---

export interface ImageFilter {
  references: string[]
  dangling?: boolean
  labels: { key: string; value?: string }[]
  before?: ImageRecord
  since?: ImageRecord
}

/** Parse --filter values ("dangling=true", "reference=busy*", "label=k=v", "before=busybox"). */
export function parseImageFilters(values: string[], resolve: (name: string) => ImageRecord | undefined): ImageFilter {
  const f: ImageFilter = { references: [], labels: [] }
  for (const v of values) {
    const eq = v.indexOf('=')
    if (eq <= 0) throw new TockerError(`bad format of filter (expected name=value)`, { code: 'EFILTER', status: 400 })
    const key = v.slice(0, eq).toLowerCase()
    const value = v.slice(eq + 1)
    switch (key) {
      case 'dangling':
        if (!['true', 'false', '1', '0'].includes(value.toLowerCase())) {
          throw new TockerError(`invalid filter 'dangling=${value}'`, { code: 'EFILTER', status: 400, daemon: true })
        }
        f.dangling = value === 'true' || value === '1'
        break
      case 'reference':
        f.references.push(value)
        break
      case 'label': {
        const i = value.indexOf('=')
        f.labels.push(i === -1 ? { key: value } : { key: value.slice(0, i), value: value.slice(i + 1) })
        break
      }
      case 'before':
      case 'since': {
        const img = resolve(value)
        if (!img) throw new TockerError(`No such image: ${value}`, { code: 'ENOSUCHIMAGE', status: 404, daemon: true })
        f[key] = img
        break
      }
      default:
        throw new TockerError(`invalid filter '${key}'`, { code: 'EFILTER', status: 400, daemon: true })
    }
  }
  return f
}

/**
 * Apply the filter as Docker's daemon does: a reference filter keeps only the matching references of
 * each image (and drops images left without any); dangling=true keeps images without tags.
 */
export function filterImages(images: ImageRecord[], f: ImageFilter): ImageRecord[] {
  const out: ImageRecord[] = []
  for (const img of images) {
    if (f.before && !(Date.parse(img.created) < Date.parse(f.before.created))) continue
    if (f.since && !(Date.parse(img.created) > Date.parse(f.since.created))) continue
    const labels = img.config.config?.Labels ?? {}
    if (!f.labels.every((l) => l.key in labels && (l.value === undefined || labels[l.key] === l.value))) continue
    let { repoTags, repoDigests } = img
    if (f.references.length) {
      const match = (r: string) => f.references.some((p) => familiarMatch(p, r))
      repoTags = repoTags.filter(match)
      repoDigests = repoDigests.filter(match)
      if (repoTags.length === 0 && repoDigests.length === 0) continue
    }
    const dangling = img.repoTags.length === 0
    if (f.dangling === true && !dangling) continue
    if (f.dangling === false && dangling) continue
    out.push({ ...img, repoTags, repoDigests })
  }
  return out
}

/** Docker's reference.FamiliarMatch: path.Match against "busybox:latest", then against "busybox". */
export function familiarMatch(pattern: string, fullRef: string): boolean {
  const ref = parseReference(fullRef)
  const re = globToRegExp(pattern)
  return re.test(familiarString(ref)) || re.test(familiarName(ref))
}

/** Go's path.Match: '*' and '?' do not cross '/', [...] classes, '\\' escapes. */
function globToRegExp(pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i])
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1)
      if (end === -1) throw new TockerError('syntax error in pattern', { code: 'EFILTER', status: 400 })
      let cls = pattern.slice(i + 1, end)
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/\\/g, '\\\\')
      else cls = cls.replace(/\\/g, '\\\\')
      re += `[${cls}]`
      i = end
    } else re += escapeRe(c)
  }
  return new RegExp(`^${re}$`)
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}
