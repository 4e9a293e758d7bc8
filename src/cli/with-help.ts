// Docker prints run's failures to create or start as "docker: <error>" followed by a pointer to
// `run --help` (run.go's withHelp); other errors of run (a TTY check) print plain. A mark on the
// error, read by the printer (report.ts); a module of its own so that marking loads nothing else.
const MARKED = new WeakSet<object>()

export function withHelp<T>(err: T): T {
  if (err && typeof err === 'object') MARKED.add(err)
  return err
}

export function isWithHelp(err: unknown): boolean {
  return !!err && typeof err === 'object' && MARKED.has(err)
}
