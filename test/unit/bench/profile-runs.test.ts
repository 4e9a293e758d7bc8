// run-profile.mjs's attribution of the engine's events to profiled runs (test/bench/profile-runs.mjs).
// Session 12's final run printed "container runs, exit noticed: -73.1 ms" in its bridge profile and
// the next run's create and start as rows of `rm -f`: these are those runs, in miniature.
import t from 'tap'
// @ts-expect-error plain ESM helper without type declarations
import { exitNoticed, ownedEvents } from '../../bench/profile-runs.mjs'

interface Ev {
  ev: string
  name?: string
  t: number
  t0?: number
}
const span = (name: string, t0: number, t: number): Ev => ({ ev: 'span', name, t0, t })

// Three bridge runs, CLI starts at 0, 100, 200, each exiting 60 ms after its start. Run 1's exit is
// recorded from 58 ms, and its veth release makes that span end at 130, inside run 2.
const starts = [0, 100, 200]
const events: Ev[] = [
  span('runtime begin (gate released)', 30, 35),
  span('exit recorded (incl. release, cleanup)', 58, 130),
  span('engine create', 121, 124),
  span('runtime begin (gate released)', 135, 140),
  span('exit recorded (incl. release, cleanup)', 158, 165),
  span('engine create', 221, 224),
]

t.test("a span that began in the previous run is not this run's: the exit is this container's, never negative", async (t) => {
  const run2 = ownedEvents(events, starts, 100, 160)
  t.same(run2.map((e: Ev) => `${e.name}@${e.t0}`), ['engine create@121', 'runtime begin (gate released)@135', 'exit recorded (incl. release, cleanup)@158'])
  t.same(exitNoticed(run2), { at: 140, ms: 18 })
  // What the old window (t in [t0, end + 50]) and pairing (the first of each) made of it.
  const old = events.filter((e) => e.t >= 100 && e.t <= 160 + 50)
  const began = old.find((e) => e.name!.startsWith('runtime begin'))!
  const exit = old.find((e) => e.name!.startsWith('exit recorded'))!
  t.equal(exit.t0! - began.t, -82, 'the old pairing: run 1 exit against run 2 begin')
})

t.test("the next run's first spans are not this run's rows; the last run keeps 50 ms past its exit", async (t) => {
  const run1 = ownedEvents(events, starts, 0, 60)
  t.notOk(run1.some((e: Ev) => e.name === 'engine create'), "run 2's create is not in run 1")
  t.same(exitNoticed(run1), { at: 35, ms: 23 }, "run 1's own exit, though its span ended in run 2")
  const run3 = ownedEvents(events, starts, 200, 260)
  t.same(run3.map((e: Ev) => e.name), ['engine create'])
  t.equal(exitNoticed(run3), undefined, 'no begin: no row (run -d, rm -f)')
})
