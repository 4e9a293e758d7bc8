// Commands that take several containers (stop, start, rm, kill, restart, wait) act on each in turn
// like Docker: the argument is printed on success, each failure on stderr, and the exit code is 1
// when any failed. A name that is not there gets "did you mean" the closest names (did-you-mean.ts).
import type { EngineClient } from '../api/client.js'
import { writeStdout } from './output.js'

export async function forEachContainer(refs: string[], fn: (ref: string) => Promise<string | void>, client?: EngineClient): Promise<number> {
  let failed = 0
  // Docker runs them in parallel (errgroup); the output order is the arguments'.
  const results = await Promise.allSettled(refs.map((r) => fn(r)))
  if (client && results.some((r) => r.status === 'rejected')) {
    const { withContainerSuggestion } = await import('./did-you-mean.js')
    for (const r of results) if (r.status === 'rejected') r.reason = await withContainerSuggestion(r.reason, client)
  }
  // The printer (and its catalogue of hints) is loaded only when something failed.
  const errorText = results.some((r) => r.status === 'rejected') ? (await import('./report.js')).errorText : undefined
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      // Not through process.stdout: on a pipe that stream is a net.Socket (output.ts, writeStdout).
      writeStdout(`${r.value ?? refs[i]}\n`)
    } else {
      failed++
      process.stderr.write(errorText!(r.reason))
    }
  })
  return failed ? 1 : 0
}
