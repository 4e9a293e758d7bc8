// The CLI's end of a hijacked attach/exec connection: the container's output to our stdout and
// stderr (demultiplexed, or raw with a TTY), our stdin to the container (raw mode with -t, restored
// on every exit path), the terminal's size kept in sync.
import type { Duplex } from 'node:stream'
import { demultiplex } from '../api/client.js'
import { letGo } from '../api/http1.js'
import { STREAM } from '../api/types.js'
import { DEFAULT_DETACH_KEYS, EscapeProxy, parseDetachKeys } from './detach-keys.js'

export interface AttachOptions {
  socket: Duplex
  head: Buffer
  multiplexed: boolean
  stdin: boolean
  tty: boolean
  /** Called with the terminal size at start and on every SIGWINCH (when -t and a terminal). */
  resize?: (rows: number, cols: number) => void
  /** --detach-keys (default ctrl-p,ctrl-q); read with a TTY and stdin only, as Docker does. */
  detachKeys?: string
  /** The container's output is kept back until this gate is opened (see OutputGate). */
  gate?: OutputGate
}

/**
 * Holds the container's output back, in order, until opened. `--explain` prints the kernel's work
 * on stderr from the engine's trace stream, the container writes on the attach stream: two
 * connections, so without a gate the program's first lines could come before the phases that made
 * its container (a learner reads them top to bottom). Opened once the trace caught up after start.
 */
export class OutputGate {
  #held: [stream: number, data: Buffer][] | undefined = []
  write(stream: number, data: Buffer): void {
    if (this.#held) this.#held.push([stream, data])
    else attachedOutput(stream, data)
  }
  /** Writes what was held back (synchronously, in order) and lets the rest through. */
  open(): void {
    const held = this.#held ?? []
    this.#held = undefined
    for (const [stream, data] of held) attachedOutput(stream, data)
  }
}

export interface AttachEnd {
  /** The user typed the detach keys: the container goes on without us. */
  detached: boolean
}

function escapeKeys(spec: string | undefined): Buffer {
  if (!spec) return DEFAULT_DETACH_KEYS
  try {
    return parseDetachKeys(spec)
  } catch (err) {
    process.stderr.write(`WARN invalid detach escape keys, using default: ${(err as Error).message}\n`)
    return DEFAULT_DETACH_KEYS
  }
}

/** The container's output to our stdout and stderr. */
function attachedOutput(stream: number, data: Buffer): void {
  ;(stream === STREAM.stderr ? process.stderr : process.stdout).write(data)
}

/** Resolves when the engine closes the stream (the process ended) or the user detached. */
export function pipeAttached(o: AttachOptions): Promise<AttachEnd> {
  const { socket } = o
  const { gate } = o
  const out = gate ? (stream: number, data: Buffer) => gate.write(stream, data) : attachedOutput
  const write = o.multiplexed ? demultiplex(out) : (d: Buffer) => out(STREAM.stdout, d)
  if (o.head.length) write(o.head)
  socket.on('data', write)

  let rawSet = false
  const restore = () => {
    if (rawSet) {
      process.stdin.setRawMode(false)
      rawSet = false
    }
  }
  const onResize = () => o.resize?.(process.stdout.rows ?? 24, process.stdout.columns ?? 80)
  if (o.tty && process.stdout.isTTY && o.resize) {
    onResize()
    process.stdout.on('resize', onResize)
  }
  process.once('exit', restore)
  return new Promise((resolve) => {
    let finished = false
    let detached = false
    const done = () => {
      if (finished) return
      finished = true
      restore()
      process.stdout.off('resize', onResize)
      if (o.stdin) {
        process.stdin.pause()
        process.stdin.removeAllListeners('data')
      }
      resolve({ detached })
    }
    if (o.stdin) {
      if (o.tty && process.stdin.isTTY) {
        process.stdin.setRawMode(true)
        rawSet = true
      }
      // With a TTY, Docker reads the detach keys from what is typed (moby/term's escape proxy).
      const proxy = o.tty ? new EscapeProxy(escapeKeys(o.detachKeys)) : undefined
      process.stdin.on('data', (d: Buffer) => {
        const out = proxy ? proxy.feed(d) : d
        if (out === 'detach') {
          // Docker closes its side of the connection; the engine keeps the container (and, with
          // a TTY, its stdin) as they are.
          detached = true
          socket.destroy()
          done()
        } else if (out.length) {
          socket.write(out)
        }
      })
      process.stdin.on('end', () => {
        // Half-close: the container sees EOF on its stdin but we keep reading its output.
        ;(socket as Duplex & { end: () => void }).end()
      })
      process.stdin.resume()
    }
    // The engine ended the stream: the output is all in. Not half-closed (node:net's default on
    // 'end': a shutdown(2), then the close a loop turn later, which the command's exit waited for)
    // and not closed now either: let go of (api/http1.ts, letGo), so the command ends at once and
    // the kernel closes the connection with the process (a long-lived one closes it a second later).
    socket.on('end', () => {
      letGo(socket)
      done()
    })
    socket.on('close', done)
    socket.on('error', done)
  })
}
