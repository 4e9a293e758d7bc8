// GET /images/json's filters, as Docker's daemon applies them (daemon/images/images.go):
//   reference=PATTERN   keeps only the matching references of each image (and drops images left
//                       without any); the pattern is Go's path.Match against "busybox:latest",
//                       then against "busybox"
//   dangling=true|false images without / with a tag
//   label=KEY[=VALUE]   the image config's labels
//   before=IMAGE, since=IMAGE   created before / after that image
//   until=TIMESTAMP     created before that time
import { TockerError } from '../../errors.js'
import { familiarName, familiarString, parseReference } from '../../image/reference.js'
import type { ImageRecord } from '../../image/store.js'
import { boolFilter, matchLabels, matchNotLabels, parseTimestamp, type Filters } from '../filters.js'

export const IMAGE_LIST_FILTERS = ['dangling', 'label', 'label!', 'before', 'since', 'reference', 'until'] as const

export function filterImages(images: ImageRecord[], f: Filters, resolve: (name: string) => ImageRecord | undefined): ImageRecord[] {
  const dangling = boolFilter(f, 'dangling')
  const created = (img: ImageRecord) => (img.created ? Date.parse(img.created) : 0)
  const anchor = (key: 'before' | 'since') => {
    const names = f.get(key)
    if (!names) return undefined
    const img = resolve(names[0])
    if (!img) throw new TockerError(`No such image: ${names[0]}`, { code: 'ENOTFOUND', daemon: true })
    return created(img)
  }
  const before = anchor('before')
  const since = anchor('since')
  const until = f.get('until')?.map((v) => Number(parseTimestamp(v) / 1_000_000n))
  const patterns = f.get('reference') ?? []
  const out: ImageRecord[] = []
  for (const img of images) {
    if (before !== undefined && !(created(img) < before)) continue
    if (since !== undefined && !(created(img) > since)) continue
    if (until && !until.every((u) => created(img) < u)) continue
    const labels = img.config.config?.Labels
    if (!matchLabels(f, labels) || !matchNotLabels(f, labels)) continue
    const isDangling = img.repoTags.length === 0
    if (dangling === true && !isDangling) continue
    if (dangling === false && isDangling) continue
    let { repoTags, repoDigests } = img
    if (patterns.length) {
      const match = (r: string) => patterns.some((p) => familiarMatch(p, r))
      repoTags = repoTags.filter(match)
      repoDigests = repoDigests.filter(match)
      if (repoTags.length === 0 && repoDigests.length === 0) continue
    }
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
      if (end === -1) throw new TockerError('syntax error in pattern', { code: 'EINVALID', daemon: true })
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
