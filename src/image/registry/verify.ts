// A blob is trusted only once its bytes hash to the digest the manifest names. This Transform passes
// the bytes through as they arrive (so the store can gunzip and unpack while downloading) and hashes
// them on the way; it fails BEFORE 'end' if the blob is longer, shorter or different than declared,
// so a consumer that commits only on a clean end never keeps a corrupted or truncated layer.
import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { TockerError } from '../../errors.js'

export type BlobProblem = 'digest' | 'too-long' | 'truncated'

/** The bytes are not the blob the manifest names (internal: pull words it, code EBLOBVERIFY). */
export class BlobVerificationError extends TockerError {
  constructor(
    readonly problem: BlobProblem,
    readonly digest: string,
    message: string,
  ) {
    super(message, { code: 'EBLOBVERIFY', internal: true })
    this.name = 'BlobVerificationError'
  }
}

/** Hash algorithms of digests we can check ("sha256:…", "sha512:…"). */
export function digestAlgorithm(digest: string): string {
  const alg = digest.slice(0, digest.indexOf(':'))
  if (alg !== 'sha256' && alg !== 'sha384' && alg !== 'sha512') {
    throw new BlobVerificationError('digest', digest, `unsupported digest algorithm in ${digest}`)
  }
  return alg
}

export function computeDigest(data: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`
}

export interface VerifyOptions {
  digest: string
  size: number
  /** Called with the running byte count as data flows (for progress bars). */
  onProgress?: (bytes: number) => void
  /** Wording for a digest mismatch (Docker: "filesystem layer verification failed for digest …"). */
  what?: string
}

export class VerifyingStream extends Transform {
  private readonly hash: Hash
  private readonly algorithm: string
  private received = 0

  constructor(private readonly opts: VerifyOptions) {
    super()
    this.algorithm = digestAlgorithm(opts.digest)
    this.hash = createHash(this.algorithm)
  }

  get bytes(): number {
    return this.received
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.length
    if (this.received > this.opts.size) {
      done(new BlobVerificationError('too-long', this.opts.digest, `blob ${this.opts.digest} is longer than the ${this.opts.size} bytes its manifest declares`))
      return
    }
    this.hash.update(chunk)
    this.opts.onProgress?.(this.received)
    done(null, chunk)
  }

  override _flush(done: TransformCallback): void {
    if (this.received < this.opts.size) {
      done(new BlobVerificationError('truncated', this.opts.digest, `unexpected EOF: blob ${this.opts.digest} ended after ${this.received} of ${this.opts.size} bytes`))
      return
    }
    const actual = `${this.algorithm}:${this.hash.digest('hex')}`
    if (actual !== this.opts.digest) {
      done(new BlobVerificationError('digest', this.opts.digest, `${this.opts.what ?? 'blob verification failed for digest'} ${this.opts.digest}`))
      return
    }
    done()
  }
}
