// A unix socket connection on libuv's pipe handle itself, the one node:net's Socket wraps, for the
// CLI's one-shot requests: bytes out once connected, bytes in until the answer is whole, then
// closed. Why: node:net and the node:stream classes under it were most of what `tocker ps` costs
// over `node -e 0`. Loading them costs ~10 M instructions (callgrind), and a Socket's first
// connect, write, read and end run code of theirs that no process has compiled yet (Node's built-in
// code cache covers only what runs at its own start): ~16 M more. A whole GET over a unix socket:
// 106.4 M instructions through node:net, 80.5 M on the handle, `node` on an empty file 78.6 M.
//
// The handle comes from process.binding('pipe_wrap'), Node's internal binding, which is deprecated
// (DEP0111: documentation-only in Node 20, a warning under --pending-deprecation) and not a public
// API: its shape is what Node 20's lib/net.js uses (Pipe, PipeConnectWrap, WriteWrap, onread with
// streamBaseState). So it is used only where it is there as expected: pipeBindings() checks the
// shape, and answers undefined when process.binding is missing, throws (the permission model),
// or is wrapped to warn (--pending-deprecation, NODE_PENDING_DEPRECATION=1: Node then replaces it
// by a function named `deprecated`). The caller then goes through node:net as before
// (pipe-request.ts). Everything that streams (logs, attach, tar bodies) always uses node:net.
import { getSystemErrorName } from 'node:util'
import { codeOf, TockerError } from '../errors.js'

/** What a connection reports; exactly one of `end` and `error` comes last. */
export interface PipeEvents {
  data(d: Buffer): void
  /** The peer closed its side (EOF). */
  end(): void
  error(err: TockerError): void
}

export interface PipeConnection {
  /** Resolves once the connection is made or has failed (never rejects). */
  ready: Promise<void>
  /** Send one request's `bytes` (now when connected, else once connected) and report its answer. */
  send(bytes: Buffer, on: PipeEvents): void
  /** Not failed, not closed, no request sent yet: a spare (transport.ts, preconnect) still good. */
  usable(): boolean
  /** The connection does not keep the process alive until a request is sent on it. */
  unref(): void
  /** Stop reading and close the handle (no event comes after). */
  close(): void
}

interface Handle {
  connect(req: object, path: string): number
  writeBuffer(req: object, data: Buffer): number
  readStart(): number
  readStop(): number
  close(): void
  ref(): void
  unref(): void
  /** Node's C++ side accepts only a function here (anything else aborts the process). */
  onread: (ab: ArrayBuffer | undefined) => void
}

interface Bindings {
  Pipe: new(type: number) => Handle
  PipeConnectWrap: new() => { oncomplete?: (status: number) => void }
  WriteWrap: new() => { handle?: Handle; oncomplete?: (status: number) => void; async?: boolean }
  socketType: number
  state: Int32Array
  kReadBytesOrError: number
  kArrayBufferOffset: number
}

/** libuv's UV_EOF: what a read reports at the end of the stream. */
const UV_EOF = -4095

let bindings: Bindings | null | undefined

/** The bindings as Node 20 has them, or null (then node:net is used: see the file's comment). */
export function pipeBindings(): Bindings | null {
  if (bindings !== undefined) return bindings
  bindings = null
  const binding = (process as unknown as { binding?: (name: string) => any }).binding
  // --pending-deprecation wraps process.binding in util.deprecate's `deprecated`, which warns.
  if (typeof binding !== 'function' || binding.name !== 'binding') return bindings
  let pipe, stream
  try {
    pipe = binding('pipe_wrap')
    stream = binding('stream_wrap')
  } catch {
    // Refused (the permission model throws ERR_ACCESS_DENIED; a later Node without these
    // bindings): not an error of the request, which node:net then carries.
    return bindings
  }
  const ok = typeof pipe?.Pipe === 'function' && typeof pipe.PipeConnectWrap === 'function' && typeof pipe.constants?.SOCKET === 'number' &&
    typeof stream?.WriteWrap === 'function' && stream.streamBaseState instanceof Int32Array &&
    [stream.kReadBytesOrError, stream.kArrayBufferOffset].every((k) => typeof k === 'number') &&
    typeof pipe.Pipe.prototype.writeBuffer === 'function' && typeof pipe.Pipe.prototype.readStart === 'function'
  if (!ok) return bindings
  bindings = {
    Pipe: pipe.Pipe,
    PipeConnectWrap: pipe.PipeConnectWrap,
    WriteWrap: stream.WriteWrap,
    socketType: pipe.constants.SOCKET,
    state: stream.streamBaseState,
    kReadBytesOrError: stream.kReadBytesOrError,
    kArrayBufferOffset: stream.kArrayBufferOffset,
  }
  return bindings
}

/**
 * A failed system call as node:net reports it: "connect ENOENT /path", with errno, code (what
 * isEngineDown reads), syscall and address. Internal, as Node's own errors are to the CLI: printed
 * as "Error: …" where nothing above words it.
 */
function uvError(status: number, syscall: string, address?: string): TockerError & { errno: number; syscall: string; address?: string } {
  const name = getSystemErrorName(status)
  const err = new TockerError(`${syscall} ${name}${address === undefined ? '' : ` ${address}`}`, { code: codeOf({ code: name }, 'EIO'), internal: true })
  return Object.assign(err, { errno: status, syscall }, address === undefined ? {} : { address })
}

/**
 * Connect to the unix socket `path`; undefined when the handle cannot be used here (pipeBindings).
 * unix(7) connects within connect(2), but libuv reports it in the loop's next turn: a request sent
 * before then goes out at that report. Errors (no engine: ENOENT, ECONNREFUSED) come as node:net's
 * do, through the events of the request sent, never thrown.
 */
export function pipeConnect(path: string): PipeConnection | undefined {
  const b = pipeBindings()
  if (!b) return undefined
  const handle = new b.Pipe(b.socketType)
  let open = true
  let connected = false
  let failure: TockerError | undefined
  let sent: { bytes: Buffer; on: PipeEvents } | undefined
  let settle: () => void
  const ready = new Promise<void>((resolve) => (settle = resolve))
  // The request objects stay referenced until the connection is done with (libuv holds them).
  const requests: object[] = []
  const close = () => {
    if (!open) return
    open = false
    requests.length = 0
    handle.readStop()
    // Closed within this loop turn (libuv runs close callbacks right after polling): nothing waits
    // for it, unlike a net.Socket's destroy, whose 'close' comes a turn later.
    handle.close()
  }
  const fail = (err: TockerError) => {
    failure ??= err
    const on = sent?.on
    if (!open) return
    close()
    on?.error(err)
  }
  const exchange = (bytes: Buffer, on: PipeEvents) => {
    handle.onread = (ab) => {
      const n = b.state[b.kReadBytesOrError]
      if (n === UV_EOF) {
        if (!open) return
        close()
        return on.end()
      }
      if (n < 0) return fail(uvError(n, 'read'))
      // A view of the read's own buffer (Node allocates one per read): no copy.
      if (n > 0 && ab) on.data(Buffer.from(ab, b.state[b.kArrayBufferOffset], n))
    }
    const r = handle.readStart()
    if (r < 0) return fail(uvError(r, 'read'))
    const writing = new b.WriteWrap()
    writing.handle = handle
    writing.async = false
    // Called only when the write did not complete within writeBuffer (a body larger than what the
    // socket's buffer takes at once).
    writing.oncomplete = (status: number) => {
      if (status < 0) fail(uvError(status, 'write'))
    }
    requests.push(writing)
    const w = handle.writeBuffer(writing, bytes)
    if (w < 0) return fail(uvError(w, 'write'))
  }
  const connecting = new b.PipeConnectWrap()
  requests.push(connecting)
  connecting.oncomplete = (status: number) => {
    settle()
    if (!open) return
    if (status < 0) return fail(uvError(status, 'connect', path))
    connected = true
    if (sent) exchange(sent.bytes, sent.on)
  }
  const c = handle.connect(connecting, path)
  if (c < 0) {
    // Reported in a later turn, as node:net reports it.
    queueMicrotask(() => {
      settle()
      fail(uvError(c, 'connect', path))
    })
  }
  return {
    ready,
    send(bytes, on) {
      if (sent) throw new TockerError('a pipe connection carries one request', { code: 'EINTERNAL', internal: true })
      sent = { bytes, on }
      handle.ref()
      if (failure) {
        const err = failure
        queueMicrotask(() => on.error(err))
      } else if (connected) exchange(bytes, on)
    },
    usable: () => open && !failure && !sent,
    unref: () => handle.unref(),
    close,
  }
}
