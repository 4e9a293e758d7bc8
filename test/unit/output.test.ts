import t from 'tap'
import { ago, goTimeUtc, humanDuration, humanSize, table } from '../../src/cli/output.js'

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

t.test("goTimeUtc prints Go's time.String() in UTC, as toISOString did", async (t) => {
  const old = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC')
  t.equal(goTimeUtc(1714558272000), '2024-05-01 10:11:12 +0000 UTC')
  t.equal(goTimeUtc(0), '1970-01-01 00:00:00 +0000 UTC')
  t.equal(goTimeUtc(1714558272999), '2024-05-01 10:11:12 +0000 UTC', 'milliseconds dropped')
  // Every month and day boundary of a leap and a common year, years 0-9999, and beyond (toISOString's ±YYYYYY).
  const samples = [Date.UTC(2024, 1, 29, 23, 59, 59), Date.UTC(2023, 11, 31, 23, 59, 59), Date.UTC(9, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59), Date.UTC(10000, 0, 1), Date.UTC(-1, 0, 1)]
  for (let ms = Date.UTC(1999, 0, 1); ms < Date.UTC(2001, 0, 1); ms += 86_400_000 + 3_601_000) samples.push(ms)
  for (const ms of samples) t.equal(goTimeUtc(ms), old(ms), new Date(ms).toISOString())
  t.throws(() => goTimeUtc(NaN), RangeError, 'an invalid date throws as before')
})
