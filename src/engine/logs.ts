// Reading a container's json-file log (written by the shim's logs.c): the rotated files in order,
// `--tail N`, `--since`, and `-f` (follow the file as it grows and across rotations until the
// container stops). Docker's format: one {"log","stream","time"} object per line.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'

export interface LogEntry {
  stream: 'stdout' | 'stderr'
  log: string
  time: string // RFC 3339 with nanoseconds
}

export interface LogReadOptions {
  stdout: boolean
  stderr: boolean
  /** Entries with time >= since (unix seconds, fractional). */
  since?: number
  /** Entries with time <= until (unix seconds, fractional). */
  until?: number
  /** Last N lines only (Docker counts entries). */
  tail?: number
}

export const LOG_DEFAULTS = { maxSize: '10m', maxFile: 3 } as const

/** Files of one log, oldest first: name.(N-1) … name.1, name. */
export function logFiles(path: string): string[] {
  const rotated: string[] = []
  for (let i = 1; existsSync(`${path}.${i}`); i++) rotated.unshift(`${path}.${i}`)
  return existsSync(path) ? [...rotated, path] : rotated
}

/** Parse "time" (RFC 3339 with up to 9 fractional digits) into unix seconds with fraction. */
export function logTimeSeconds(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time)
  if (!m) return Date.parse(time) / 1000
  const whole = Date.parse(m[1] + m[3]) / 1000
  return whole + (m[2] ? Number('0.' + m[2]) : 0)
}

function parseLine(line: string): LogEntry | undefined {
  if (!line) return undefined
  try {
    const e = JSON.parse(line) as LogEntry
    return typeof e.log === 'string' ? e : undefined
  } catch {
    return undefined // a torn last line (the shim was killed mid-write)
  }
}

function wanted(e: LogEntry, o: LogReadOptions): boolean {
  if (e.stream === 'stdout' ? !o.stdout : !o.stderr) return false
  if (o.since !== undefined && logTimeSeconds(e.time) < o.since) return false
  if (o.until !== undefined && logTimeSeconds(e.time) > o.until) return false
  return true
}

/** Everything in the log now, filtered; plus where the current file ended (for follow). */
export function readLog(path: string, o: LogReadOptions): { entries: LogEntry[]; offset: number; ino: number } {
  let entries: LogEntry[] = []
  let offset = 0
  let ino = 0
  for (const file of logFiles(path)) {
    let text: string
    try {
      const fd = openSync(file, 'r')
      try {
        const st = fstatSync(fd)
        const buf = Buffer.alloc(st.size)
        let got = 0
        while (got < st.size) {
          const n = readSync(fd, buf, got, st.size - got, got)
          if (n === 0) break
          got += n
        }
        // Only whole lines: a line still being written is picked up by follow.
        const end = buf.lastIndexOf(0x0a, got - 1) + 1
        text = buf.subarray(0, end).toString('utf8')
        if (file === path) {
          offset = end
          ino = st.ino
        }
      } finally {
        closeSync(fd)
      }
    } catch {
      continue // rotated away between listing and opening
    }
    for (const line of text.split('\n')) {
      const e = parseLine(line)
      if (e && wanted(e, o)) entries.push(e)
    }
  }
  if (o.tail !== undefined && o.tail >= 0) entries = o.tail === 0 ? [] : entries.slice(-o.tail)
  return { entries, offset, ino }
}

/**
 * Follow the log from (offset, ino) of the current file: calls `onEntry` for each new entry until
 * `stop()` is called or `done` resolves (the container stopped; what it wrote last is still read).
 * Rotation: when the name points to a new inode, the old file is read to its end first.
 */
export function followLog(
  path: string,
  start: { offset: number; ino: number },
  o: LogReadOptions,
  onEntry: (e: LogEntry) => void,
  done: Promise<unknown>,
): { stop: () => void; finished: Promise<void> } {
  let fd = -1
  let ino = start.ino
  let offset = start.offset
  let pending = ''
  let stopped = false
  let watcher: FSWatcher | undefined
  let timer: NodeJS.Timeout | undefined = undefined
  let resolveFinished!: () => void
  const finished = new Promise<void>((r) => (resolveFinished = r))

  const openCurrent = (): boolean => {
    try {
      fd = openSync(path, 'r')
      const st = fstatSync(fd)
      if (st.ino !== ino) {
        // A file we have not read yet (the log was created or rotated): start at 0.
        ino = st.ino
        offset = 0
      }
      return true
    } catch {
      fd = -1
      return false
    }
  }

  const drainFd = () => {
    if (fd < 0) return
    const buf = Buffer.alloc(65536)
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset)
      if (n <= 0) break
      offset += n
      pending += buf.subarray(0, n).toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        const e = parseLine(line)
        if (e && wanted(e, o)) onEntry(e)
      }
    }
  }

  const poll = () => {
    if (stopped) return
    if (fd < 0 && !openCurrent()) return
    drainFd()
    // Rotated? Then the name is a new file: we drained the old one, switch.
    let nameIno = ino
    try {
      nameIno = statSync(path).ino
    } catch {
      /* between rename and create */
    }
    if (nameIno !== ino) {
      closeSync(fd)
      fd = -1
      pending = ''
      if (openCurrent()) drainFd()
    }
  }

  const stop = () => {
    if (stopped) return
    poll()
    stopped = true
    watcher?.close()
    if (timer) clearInterval(timer)
    if (fd >= 0) closeSync(fd)
    fd = -1
    resolveFinished()
  }

  openCurrent()
  poll()
  try {
    // inotify on the directory sees writes, creates and renames of the log files.
    watcher = watch(dirname(path), (_event, file) => {
      if (file && !String(file).startsWith(basename(path))) return
      poll()
    })
  } catch {
    /* no inotify: the timer alone */
  }
  // A slow timer as well: inotify can miss events under pressure.
  timer = setInterval(poll, 500)
  timer.unref?.()
  done.then(
    () => setTimeout(stop, 50),
    () => stop(),
  )
  return { stop, finished }
}

/** Bytes of text from Docker's size syntax: "10m" → 10485760. */
export function parseSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(s.trim())
  if (!m) return undefined
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'b' | 'k' | 'm' | 'g']
  return Math.floor(Number(m[1]) * mult)
}

/** Read the whole log, for tests and small tools. */
export function readLogText(path: string): string {
  return logFiles(path)
    .map((f) => readFileSync(f, 'utf8'))
    .join('')
    .split('\n')
    .map(parseLine)
    .filter((e): e is LogEntry => !!e)
    .map((e) => e.log)
    .join('')
}
