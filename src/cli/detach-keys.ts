// Ctrl-P Ctrl-Q: leave a container running and get the terminal back, as Docker's CLI does with a
// TTY (moby/term's escape proxy). Only keys read one at a time count (typed, not pasted); a
// partial match is held back and sent on when the next key does not continue it.
import { TockerError } from '../errors.js'

export const DEFAULT_DETACH_KEYS = Buffer.from([16, 17]) // ctrl-p, ctrl-q

const CTRL = ['@', ...'abcdefghijklmnopqrstuvwxyz', '[', '\\', ']', '^', '_']

/** moby/term's ToBytes: "ctrl-p,ctrl-q", "a,ctrl-\\" → bytes; throws on anything else. */
export function parseDetachKeys(spec: string): Buffer {
  const out: number[] = []
  for (const key of spec.split(',')) {
    if (key.length === 1) {
      out.push(key.charCodeAt(0))
      continue
    }
    const m = /^ctrl-(.)$/i.exec(key)
    const code = m ? CTRL.indexOf(m[1].toLowerCase()) : -1
    if (code < 0) throw new TockerError(`Unknown character: '${key}'`, { code: 'EDETACHKEYS' })
    out.push(code)
  }
  return Buffer.from(out)
}

export class EscapeProxy {
  #pos = 0
  constructor(private readonly keys: Buffer) {}

  /** What to send on for this chunk of input, or 'detach' when the sequence is complete. */
  feed(chunk: Buffer): Buffer | 'detach' {
    if (this.keys.length === 0) return chunk
    const held = this.keys.subarray(0, this.#pos)
    if (chunk.length !== 1 || chunk[0] !== this.keys[this.#pos]) {
      this.#pos = 0
      return held.length ? Buffer.concat([held, chunk]) : chunk
    }
    if (this.#pos === this.keys.length - 1) {
      this.#pos = 0
      return 'detach'
    }
    this.#pos++
    return Buffer.alloc(0)
  }
}
