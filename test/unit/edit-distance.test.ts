// editDistance: the one Levenshtein distance behind the CLI's and the builder's "did you mean".
import t from 'tap'
import { editDistance } from '../../src/edit-distance.js'

t.test('insertions, deletions and substitutions each count one', async (t) => {
  t.equal(editDistance('kitten', 'sitting'), 3)
  t.equal(editDistance('', 'run'), 3)
  t.equal(editDistance('run', ''), 3)
  t.equal(editDistance('copy', 'copy'), 0)
  t.equal(editDistance('cpoy', 'copy'), 2, 'a swap is two edits (no transpositions)')
  t.equal(editDistance('workdri', 'workdir'), 2)
  t.equal(editDistance('ab', 'ba'), editDistance('ba', 'ab'), 'symmetric')
})
