// Writing a tar archive member by member to a stream (what `save` produces). Headers are encoded as
// for every tar tocker writes (../diff/tar-header.ts: USTAR, PAX when a field does not fit);
// content is streamed with back-pressure, so a multi-GB image never sits in memory.
import { TockerError } from '../../errors.js'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { encodeHeader, END_OF_ARCHIVE, padding } from '../diff/tar-header.js'

export class TarWriter {
  constructor(
    private readonly out: Writable,
    private readonly mtime = new Date(0),
  ) {}

  async dir(path: string): Promise<void> {
    await this.#header({ name: path.endsWith('/') ? path : `${path}/`, type: 'dir', mode: 0o755, size: 0 })
  }

  async file(path: string, data: Buffer): Promise<void> {
    await this.#header({ name: path, type: 'file', mode: 0o644, size: data.length })
    await this.#write(data)
    await this.#write(padding(data.length))
  }

  /** A member whose content comes from `chunks`; exactly `size` bytes or an error. */
  async stream(path: string, size: number, chunks: AsyncIterable<Buffer>): Promise<void> {
    await this.#header({ name: path, type: 'file', mode: 0o644, size })
    let n = 0
    for await (const c of chunks) {
      n += c.length
      if (n > size) throw new TockerError(`${path}: more than the ${size} bytes announced`, { code: 'ETARWRITE', internal: true })
      await this.#write(c)
    }
    if (n !== size) throw new TockerError(`${path}: ${n} bytes instead of ${size}`, { code: 'ETARWRITE', internal: true })
    await this.#write(padding(size))
  }

  /** The end-of-archive marker: two zero blocks. */
  async end(): Promise<void> {
    await this.#write(END_OF_ARCHIVE)
  }

  /** Owner 0:0, no user or group names (as Docker's save). */
  async #header(h: { name: string; type: 'file' | 'dir'; mode: number; size: number }): Promise<void> {
    await this.#write(encodeHeader({ ...h, uid: 0, gid: 0, mtime: Math.floor(this.mtime.getTime() / 1000) }))
  }

  async #write(chunk: Buffer): Promise<void> {
    if (!this.out.write(chunk)) await once(this.out, 'drain')
  }
}
