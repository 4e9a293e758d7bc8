// `tocker images`' rows split an official image's "name:tag" without parseReference's grammar
// (src/cli/format/images.ts, repoAndTag): the same repository and tag as parseReference +
// familiarName for every kind of reference, and the same error for what is not one.
import t from 'tap'
import { DEFAULT_IMAGES_FORMAT, defaultImagesTable, IMAGE_HEADERS, imageRows, repoAndTag } from '../../../src/cli/format/images.js'
import { formatFieldRows } from '../../../src/cli/format/field-rows.js'
import { familiarName, parseReference } from '../../../src/image/reference.js'

const REFS = [
  'busybox:latest',
  'alpine:3.19',
  'my_app:v2_rc-1',
  'a__b:x',
  'a---b:X.Y-z',
  'x.y:1',
  `${'a'.repeat(247)}:t`,
  `${'b'.repeat(64)}:tag`,
  `busybox:${'t'.repeat(128)}`,
  'lab/tools/busybox:1.35',
  'library/busybox:1',
  'docker.io/library/busybox:latest',
  'index.docker.io/busybox:latest',
  '127.0.0.1:5000/x/y:tag',
  'localhost/x:1',
  'localhost:5000/x',
  'busybox@sha256:' + 'a'.repeat(64),
  'busybox:latest@sha256:' + 'a'.repeat(64),
  'busybox',
]
const BAD = ['Busybox:latest', 'a_:x', '-a:x', 'a:.x', `busybox:${'t'.repeat(129)}`, `${'a'.repeat(248)}:t`, 'a:b:c', '']

t.test('the same repository and tag as parseReference + familiarName', async (t) => {
  for (const r of REFS) {
    const ref = parseReference(r)
    t.same(repoAndTag(r), [familiarName(ref), ref.tag], r)
  }
})

t.test('what is not a reference fails as parseReference fails', async (t) => {
  for (const r of BAD) {
    const want = (() => {
      try {
        return parseReference(r)
      } catch (err) {
        return err
      }
    })()
    t.ok(want instanceof Error, `${r}: not a reference`)
    t.throws(() => repoAndTag(r), { message: (want as Error).message }, r)
  }
})

// A plain `tocker images` lays its table out from the rows (defaultImagesTable) instead of reading
// its default template: the same text as field-rows.ts makes of that template, for every kind of row.
t.test('the default table is what its template gives', async (t) => {
  const id = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`
  const summaries = [
    { Id: id(1), RepoTags: ['busybox:latest', 'busybox:1.36', 'lab/tools/busybox:1.35'], RepoDigests: ['busybox@sha256:' + 'a'.repeat(64)], Created: 1_700_000_000, Size: 4_261_550, Containers: 2 },
    { Id: id(2), RepoTags: [], RepoDigests: [], Created: 0, Size: 0, Containers: -1 },
    { Id: id(3), RepoTags: [], RepoDigests: ['127.0.0.1:5000/x/y@sha256:' + 'b'.repeat(64)], Created: 1_600_000_000, Size: 1_234_567_890, Containers: 0 },
    { Id: id(4), RepoTags: ['localhost:5000/a-very-long-repository-name/with/parts:a-long-tag-name'], Created: 1_500_000_000, Size: 999, Containers: 0 },
  ]
  for (const noTrunc of [false, true]) {
    const rows = imageRows(summaries as never, { digests: false, noTrunc, now: 1_700_100_000_000 })
    t.ok(rows.length >= 5, `${rows.length} rows`)
    t.equal(defaultImagesTable(rows), formatFieldRows(DEFAULT_IMAGES_FORMAT, rows, IMAGE_HEADERS), `noTrunc ${noTrunc}`)
  }
  t.equal(defaultImagesTable([]), formatFieldRows(DEFAULT_IMAGES_FORMAT, [], IMAGE_HEADERS), 'no images: the header alone')
})
