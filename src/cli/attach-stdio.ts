// The CLI's end of a hijacked attach/exec connection: the container's output to our stdout and
// stderr (demultiplexed, or raw with a TTY), our stdin to the container (raw mode with -t, restored
// on every exit path), the terminal's size kept in sync.
import type { Duplex } from 'node:stream'
import { demultiplex } from '../api/client.js'
import { STREAM } from '../api/types.js'

export interface AttachOptions {
  socket: Duplex
  head: Buffer
  multiplexed: boolean
  stdin: boolean
  tty: boolean
  /** Called with the terminal size at start and on every SIGWINCH (when -t and a terminal). */
  resize?: (rows: number, cols: number) => void
}

/** Resolves when the engine closes the stream (the process ended, or was detached). */
export function pipeAttached(o: AttachOptions): Promise<void> {
  const { socket } = o
  const write = o.multiplexed
    ? demultiplex((stream, data) => (stream === STREAM.stderr ? process.stderr : process.stdout).write(data))
    : (d: Buffer) => void process.stdout.write(d)
  if (o.head.length) write(o.head)
  socket.on('data', write)

  const stdinIsTTY = process.stdin.isTTY
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
  if (o.stdin) {
    if (o.tty && stdinIsTTY) {
      process.stdin.setRawMode(true)
      rawSet = true
    }
    process.stdin.on('data', (d) => socket.write(d))
    process.stdin.on('end', () => {
      // Half-close: the container sees EOF on its stdin but we keep reading its output.
      ;(socket as Duplex & { end: () => void }).end()
    })
    process.stdin.resume()
  }
  process.once('exit', restore)
  return new Promise((resolve) => {
    const done = () => {
      restore()
      process.stdout.off('resize', onResize)
      if (o.stdin) {
        process.stdin.pause()
        process.stdin.removeAllListeners('data')
      }
      resolve()
    }
    socket.on('end', done)
    socket.on('close', done)
    socket.on('error', done)
  })
}
