// Commands that take several containers (stop, start, rm, kill, restart, wait) act on each in turn
// like Docker: the argument is printed on success, each failure on stderr, and the exit code is 1
// when any failed.
import { isTockerError } from '../errors.js'

export async function forEachContainer(refs: string[], fn: (ref: string) => Promise<string | void>): Promise<number> {
  let failed = 0
  // Docker runs them in parallel (errgroup); the output order is the arguments'.
  const results = await Promise.allSettled(refs.map((r) => fn(r)))
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      process.stdout.write(`${r.value ?? refs[i]}\n`)
    } else {
      failed++
      const e = r.reason
      process.stderr.write(`${isTockerError(e) && e.daemon ? 'Error response from daemon: ' : 'Error: '}${(e as Error).message}\n`)
    }
  })
  return failed ? 1 : 0
}
