// The wire side of the engine's output streams (logs, attach, exec): an OutputSink over an HTTP
// response or over a hijacked connection, writing Docker's multiplexed frames, or raw bytes for a
// TTY. The engine only hands out stdout/stderr chunks (engine/streams.ts).
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex, Writable } from 'node:stream'
import type { ClientConnection, OutputSink, StdStream } from '../engine/streams.js'
import { frame } from './framing.js'
import { STREAM } from './types.js'

export const RAW_STREAM = 'application/vnd.docker.raw-stream'
export const MULTIPLEXED_STREAM = 'application/vnd.docker.multiplexed-stream'

function encode(tty: boolean, stream: StdStream, data: Buffer): Buffer {
  return tty ? data : frame(STREAM[stream], data)
}

/** Resolves once `w` has room again (its buffer drained below the high-water mark), or is gone. */
export function drained(w: Writable): Promise<void> {
  if (!w.writableNeedDrain || w.destroyed || w.writableEnded) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      w.off('drain', done)
      w.off('close', done)
      resolve()
    }
    w.on('drain', done)
    w.on('close', done)
  })
}

/** GET /containers/{id}/logs: answers 200 with the stream's content type, then the output. */
export function responseSink(req: IncomingMessage, res: ServerResponse, tty: boolean): OutputSink {
  res.writeHead(200, { 'Content-Type': tty ? RAW_STREAM : MULTIPLEXED_STREAM })
  // Headers go out now, as Docker's do: a client following a quiet container knows it is attached.
  res.flushHeaders()
  const closed = new Promise<void>((resolve) => {
    req.on('close', resolve)
    res.on('close', resolve)
  })
  return {
    write: (stream, data) => void res.write(encode(tty, stream, data)),
    ready: () => drained(res),
    end: () => void res.end(),
    closed,
  }
}

/** A hijacked connection (attach, exec): output framed unless `tty`; writes stop once it is gone. */
export function connectionSink(conn: Duplex, tty: boolean): ClientConnection {
  // Already gone: attach opens its connection only once the stream's start is placed, and the
  // client may have left meanwhile ('close' was emitted before anyone listened).
  const closed = new Promise<void>((resolve) => (conn.destroyed ? resolve() : conn.on('close', resolve)))
  conn.on('error', () => {})
  return {
    write: (stream, data) => {
      if (!conn.destroyed) conn.write(encode(tty, stream, data))
    },
    ready: () => drained(conn),
    end: () => {
      if (!conn.destroyed) conn.end()
    },
    closed,
    input: conn,
  }
}
