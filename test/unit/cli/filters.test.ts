// --filter's values as the engine gets them: one reading for every command (src/cli/filters.ts), the
// one Docker's CLI has (cli/opts FilterOpt.Set and filters.Args' JSON). The refusal of a value
// without "=" (exit 125, at parse time) is checked for every command in flags.test.ts.
import t from 'tap'
import { filterError, filtersJson } from '../../../src/cli/filters.js'
import { cli } from './in-process.js'

const psNoEngine = await cli(['ps', '--filter', 'status'])
const emptyFilter = await cli(['images', '--filter', '', 'extra', 'args'])

t.test('filtersJson: filters.Args JSON, name lower-cased and trimmed, empty values ignored', async (t) => {
  t.equal(filtersJson([]), undefined, 'no filters: no parameter')
  t.equal(filtersJson(['']), undefined, 'an empty value is ignored (FilterOpt.Set returns early)')
  t.same(JSON.parse(filtersJson(['Label=a=b', ' name = web ', 'label=c', 'label=c'])!), { label: { 'a=b': true, c: true }, name: { web: true } })
  t.same(JSON.parse(filtersJson(['=x'])!), { '': { x: true } }, 'an empty name passes the CLI: the engine refuses it')
})

t.test('filterError: only a value without "=" is refused', async (t) => {
  t.equal(filterError('status'), 'bad format of filter (expected name=value)')
  t.equal(filterError(''), undefined)
  t.equal(filterError('a='), undefined)
})

t.test("a bad --filter is a flag error (Docker's words, exit 125, before any engine is asked)", async (t) => {
  t.equal(psNoEngine.code, 125)
  t.match(psNoEngine.stderr, /^invalid argument "status" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n/)
  t.equal(emptyFilter.code, 1, 'an empty --filter passes the parser: the command stops at its argument count')
})
