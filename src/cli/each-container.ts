// Commands that take several containers (stop, start, rm, kill, restart, wait) act on each in turn
// like Docker: the argument is printed on success, each failure on stderr, and the exit code is 1
// when any failed.

export async function forEachContainer(refs: string[], fn: (ref: string) => Promise<string | void>): Promise<number> {
  let failed = 0
  // Docker runs them in parallel (errgroup); the output order is the arguments'.
  const results = await Promise.allSettled(refs.map((r) => fn(r)))
  // The printer (and its catalogue of hints) is loaded only when something failed.
  const errorText = results.some((r) => r.status === 'rejected') ? (await import('./report.js')).errorText : undefined
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') {
      process.stdout.write(`${r.value ?? refs[i]}\n`)
    } else {
      failed++
      process.stderr.write(errorText!(r.reason))
    }
  })
  return failed ? 1 : 0
}
