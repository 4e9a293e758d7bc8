// `tocker images`' rows split an official image's "name:tag" without parseReference's grammar
// (src/cli/format/images.ts, repoAndTag): the same repository and tag as parseReference +
// familiarName for every kind of reference, and the same error for what is not one.
import t from 'tap'
import { repoAndTag } from '../../../src/cli/format/images.js'
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
