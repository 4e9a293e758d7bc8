// Content-addressed blobs (manifests, indexes, image configs): blobs/sha256/<hex>, where <hex> is
// the sha256 of the bytes. A blob is verified before it is written and appears under its name only
// once complete (written in the store's tmp/ then renamed), so a blob that exists is always right.
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { TockerError } from '../errors.js'
import { writeFileAtomic } from '../sys/atomic-file.js'

const DIGEST = /^sha256:([a-f0-9]{64})$/

/** The hex part of "sha256:<hex>", or a clear error for anything else. */
export function digestHex(digest: string): string {
  const m = DIGEST.exec(digest)
  if (!m) throw new TockerError(`invalid digest ${JSON.stringify(digest)}: tocker stores sha256 digests only`, { code: 'EDIGEST', status: 400 })
  return m[1]
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

export class BlobStore {
  constructor(
    readonly dir: string,
    private readonly tmpDir: () => string,
  ) {}

  path(digest: string): string {
    return join(this.dir, digestHex(digest))
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest))
  }

  get(digest: string): Buffer | undefined {
    try {
      return readFileSync(this.path(digest))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** Verify that `data` hashes to `digest`, then store it (a no-op when it is there already). */
  put(digest: string, data: Buffer): void {
    const path = this.path(digest)
    const actual = sha256(data)
    if (actual !== digest) {
      throw new TockerError(`blob digest mismatch: expected ${digest}, got ${actual}`, { code: 'EDIGEST', status: 400 })
    }
    if (existsSync(path)) return
    mkdirSync(this.dir, { recursive: true })
    writeFileAtomic(path, data, { tmpDir: this.tmpDir() })
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true })
  }
}
