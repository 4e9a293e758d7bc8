// runc's log (logrus): --log FILE (default stderr), --log-format text|json, --debug for the debug
// level. Engines read it: containerd-shim passes `--log <bundle>/log.json --log-format json` and
// shows the last error line's "msg" when a command fails ("unable to retrieve OCI runtime error"
// when the file is missing); conmon does the same with its oci-log file. The shapes, as runc 1.1
// writes them:
//   text: time="2026-12-03T13:29:12Z" level=error msg="container does not exist"
//   json: {"level":"error","msg":"container does not exist","time":"2026-12-03T13:29:12Z"}
// When the log is a file, a fatal error is also printed plainly on stderr (runc's fatalWithCode).
import { appendFileSync, closeSync, openSync } from 'node:fs'

export type Level = 'debug' | 'info' | 'warning' | 'error'

export interface LogOptions {
  file?: string
  format: 'text' | 'json'
  debug: boolean
}

/** logrus quotes a text value unless it is made of these characters only. */
const BARE = /^[A-Za-z0-9\-._/@^+]+$/

/** Go's %q of a string (what logrus writes for a value that needs quoting). */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u007f/g, '\\x7f')
}

/** RFC 3339 to the second, as logrus's default time format. */
function timestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z')
}

export class RuntimeLog {
  private fd: number | undefined

  constructor(readonly opts: LogOptions) {}

  /** Does the log go somewhere other than stderr? */
  get toFile(): boolean {
    return !!this.opts.file && this.opts.file !== '/dev/stderr'
  }

  line(level: Level, msg: string): string {
    if (this.opts.format === 'json') return JSON.stringify({ level, msg, time: timestamp() }) + '\n'
    return `time="${timestamp()}" level=${level} msg=${BARE.test(msg) ? msg : goQuote(msg)}\n`
  }

  write(level: Level, msg: string): void {
    if (level === 'debug' && !this.opts.debug) return
    const text = this.line(level, msg)
    if (!this.toFile) {
      process.stderr.write(text)
      return
    }
    try {
      // O_APPEND: conmon and containerd-shim read the file while we may still write to it.
      this.fd ??= openSync(this.opts.file!, 'a', 0o644)
      appendFileSync(this.fd, text)
    } catch {
      process.stderr.write(text) // an unwritable log must not hide the error
    }
  }

  debug(msg: string): void {
    this.write('debug', msg)
  }

  warn(msg: string): void {
    this.write('warning', msg)
  }

  /** A fatal error: to the log, and plainly to stderr when the log is a file (runc's fatal). */
  fatal(msg: string): void {
    this.write('error', msg)
    if (this.toFile) process.stderr.write(msg + '\n')
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}
