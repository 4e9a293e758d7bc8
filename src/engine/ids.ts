// Container IDs as Docker makes them: 32 random bytes in hex (64 characters), shown as the first
// 12; any unique prefix (or the name) finds a container.
import { randomBytes } from 'node:crypto'

export function newContainerId(): string {
  // Docker re-draws an ID that is all digits (it would parse as a number in some tools).
  for (;;) {
    const id = randomBytes(32).toString('hex')
    if (!/^\d+$/.test(id.slice(0, 12))) return id
  }
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12)
}

export function isFullId(s: string): boolean {
  return /^[0-9a-f]{64}$/.test(s)
}

export function looksLikeIdPrefix(s: string): boolean {
  return /^[0-9a-f]{1,64}$/.test(s)
}
