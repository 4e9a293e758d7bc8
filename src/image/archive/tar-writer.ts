// Writing a tar archive member by member to a stream (what `save` produces). Headers are encoded by
// the `tar` package's Header; content is streamed with back-pressure, so a multi-GB image never
// sits in memory.
import { TockerError } from '../../errors.js'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { Header } from 'tar'

const BLOCK = 512

export class TarWriter {
  constructor(
    private readonly out: Writable,
    private readonly mtime = new Date(0),
  ) {}

  async dir(path: string): Promise<void> {
    await this.#header({ path: path.endsWith('/') ? path : `${path}/`, type: 'Directory', mode: 0o755, size: 0 })
  }

  async file(path: string, data: Buffer): Promise<void> {
    await this.#header({ path, type: 'File', mode: 0o644, size: data.length })
    await this.#write(data)
    await this.#pad(data.length)
  }

  /** A member whose content comes from `chunks`; exactly `size` bytes or an error. */
  async stream(path: string, size: number, chunks: AsyncIterable<Buffer>): Promise<void> {
    await this.#header({ path, type: 'File', mode: 0o644, size })
    let n = 0
    for await (const c of chunks) {
      n += c.length
      if (n > size) throw new TockerError(`${path}: more than the ${size} bytes announced`, { code: 'ETARWRITE', internal: true })
      await this.#write(c)
    }
    if (n !== size) throw new TockerError(`${path}: ${n} bytes instead of ${size}`, { code: 'ETARWRITE', internal: true })
    await this.#pad(size)
  }

  /** The end-of-archive marker: two zero blocks. */
  async end(): Promise<void> {
    await this.#write(Buffer.alloc(2 * BLOCK))
  }

  async #header(h: { path: string; type: 'File' | 'Directory'; mode: number; size: number }): Promise<void> {
    const header = new Header({ ...h, uid: 0, gid: 0, uname: '', gname: '', mtime: this.mtime })
    const block = Buffer.alloc(BLOCK)
    header.encode(block, 0)
    if (header.needPax) throw new TockerError(`tar member name too long: ${h.path}`, { code: 'ETARWRITE', internal: true })
    await this.#write(block)
  }

  async #pad(size: number): Promise<void> {
    const pad = (BLOCK - (size % BLOCK)) % BLOCK
    if (pad) await this.#write(Buffer.alloc(pad))
  }

  async #write(chunk: Buffer): Promise<void> {
    if (!this.out.write(chunk)) await once(this.out, 'drain')
  }
}
