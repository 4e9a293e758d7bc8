// The attach's pin of a json log (src/engine/log-pin.ts): one file however many attaches read the
// log, gone with the last; a pin that no follower of this engine made (left by an engine that died
// with its attaches) goes at engine start. What the shim does with it: integration/engine/logs-cost.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { dropStalePin, pinLog } from '../../../src/engine/log-pin.js'

const dir = mkdtempSync(join(tmpdir(), 'tocker-unit-pin-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('two attaches, one pin: it goes with the last, and unpinning twice changes nothing', async (t) => {
  const log = join(dir, 'a-json.log')
  const first = pinLog(log)
  t.ok(existsSync(`${log}.attached`), 'pinned')
  const second = pinLog(log)
  first()
  first()
  t.ok(existsSync(`${log}.attached`), 'still pinned for the second attach')
  dropStalePin(log)
  t.ok(existsSync(`${log}.attached`), "a pin of this engine's is not stale")
  second()
  t.notOk(existsSync(`${log}.attached`), 'gone with the last')
})

t.test('a pin left by an engine that died goes; the directory gone first is no error', async (t) => {
  const log = join(dir, 'b-json.log')
  writeFileSync(`${log}.attached`, '')
  dropStalePin(log)
  t.notOk(existsSync(`${log}.attached`))
  dropStalePin(log)
  const gone = join(dir, 'gone', 'c-json.log')
  t.throws(() => pinLog(gone), { code: 'ESTATE' }, 'no directory: the attach is told why')
})
