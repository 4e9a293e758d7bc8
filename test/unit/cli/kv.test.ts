// kvMap: --label/--opt/--driver-opt as Docker's CLI maps them (opts.ConvertKVStringsToMap), the one
// reading that run/create, build, network create/connect and volume create share.
import t from 'tap'
import { kvMap } from '../../../src/cli/kv.js'
import { cli } from './in-process.js'

const badLabelRun = await cli(['run', '--label', 'a=b', '--label', 'c'])

t.test('the first "=" splits; a bare word is a key with an empty value; a later key wins', async (t) => {
  t.same(kvMap(undefined), {})
  t.same(kvMap(['a=b=c', 'flag', 'x=1', 'x=2', '=v']), { a: 'b=c', flag: '', x: '2', '': 'v' })
})

t.test('a label list alone never fails the parse (run stops at its missing image)', async (t) => {
  t.equal(badLabelRun.code, 1)
  t.match(badLabelRun.stderr, /requires at least 1 argument/)
})
