// Which of the engine's profile events belong to which profiled CLI run (run-profile.mjs, part 2).
// The runs follow each other, and the engine's events carry no container id: a run owns what the
// engine did from its CLI's start to the next profiled CLI's start.

/**
 * The engine's events of the run whose CLI started at t0 and exited at `end`: those that began
 * between t0 and the next profiled CLI's start (`starts`: every profiled CLI's start, warm-up runs
 * too), wherever they end: what the engine finishes after the CLI's exit (the veth's release in
 * the exit's span, rm's last steps) is still this run's. The last run of all: up to 50 ms past its
 * exit. The old window, spans that *ended* within 50 ms of the exit, took in the next run's first
 * spans (its create and start showed as rows of `rm -f`) and the previous run's exit, whose span
 * ended in this run and was paired with this run's begin: "container runs, exit noticed: -73.1 ms".
 */
export function ownedEvents(engineEvents, starts, t0, end) {
  const next = starts.filter((s) => s > t0).sort((a, b) => a - b)[0]
  const until = next ?? end + 50
  return engineEvents.filter((e) => (e.t0 ?? e.t) >= t0 && (e.t0 ?? e.t) < until)
}

/**
 * "container runs, exit noticed": from the end of this run's runtime begin to the start of the
 * first exit recorded after it (one that began earlier is another container's). Undefined when the
 * container did not end within the run (run -d).
 */
export function exitNoticed(eng) {
  const beganAt = eng.find((e) => e.ev === 'span' && e.name.startsWith('runtime begin'))
  const exitAt = beganAt && eng.find((e) => e.ev === 'span' && e.name.startsWith('exit recorded') && e.t0 >= beganAt.t)
  return beganAt && exitAt ? { at: beganAt.t, ms: exitAt.t0 - beganAt.t } : undefined
}
