import t from 'tap'
import { ago, humanDuration, humanSize, table } from '../../src/cli/output.js'

t.test('humanSize follows Docker (decimal units, 3 significant digits)', async (t) => {
  t.equal(humanSize(0), '0B')
  t.equal(humanSize(999), '999B')
  t.equal(humanSize(4_261_000), '4.26MB')
  t.equal(humanSize(1_234_567_890), '1.23GB')
})

t.test('humanDuration matches Docker wording', async (t) => {
  t.equal(humanDuration(500), 'Less than a second')
  t.equal(humanDuration(45_000), '45 seconds')
  t.equal(humanDuration(90_000), 'About a minute')
  t.equal(humanDuration(5 * 60_000), '5 minutes')
  t.equal(humanDuration(3600_000), 'About an hour')
  t.equal(humanDuration(3 * 3600_000), '3 hours')
  t.equal(ago(Date.now() - 2 * 3600_000), '2 hours ago')
})

t.test('table pads columns like tabwriter with padding 3', async (t) => {
  t.equal(table(['A', 'LONGER'], [['xyz', '1']]), 'A     LONGER\nxyz   1\n')
})
