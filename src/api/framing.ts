// Docker's multiplexed stream (attach, logs and exec without a TTY): each chunk of output is sent
// as an 8-byte header (stream id: 1 stdout, 2 stderr; 3 zero bytes; big-endian length) and the
// bytes. With a TTY there is one stream and no header.

export function frame(stream: number, data: Buffer): Buffer {
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(data.length, 4)
  return Buffer.concat([header, data])
}

/** Split a multiplexed stream into stdout/stderr chunks (a header may arrive split across reads). */
export function demultiplex(onFrame: (stream: number, data: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0)
  return (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
    while (buf.length >= 8) {
      const size = buf.readUInt32BE(4)
      if (buf.length < 8 + size) break
      onFrame(buf[0], buf.subarray(8, 8 + size))
      buf = buf.subarray(8 + size)
    }
  }
}
