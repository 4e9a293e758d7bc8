// Which stages a build runs (multi-stage: the target and what it needs), and the one file-system
// step the builder makes itself (WORKDIR's directory in a container's upper layer).
import { chmodSync, lchownSync, lstatSync, mkdirSync } from 'node:fs'
import { join, posix } from 'node:path'
import { cleanPath } from '../../dockerignore.js'
import type { LayerStack } from '../../image/diff/layer-stack.js'
import type { Stage } from './dockerfile/instructions.js'

/**
 * The target (stages[last]) and every stage it needs (FROM another stage, COPY --from), in file
 * order. `baseOf`: a stage's FROM name after the meta args are substituted.
 */
export function neededStages(all: Stage[], last: number, baseOf: (stage: Stage) => string): number[] {
  const stages = all.slice(0, last + 1)
  const byName = (name: string, before: number) => {
    for (let j = before - 1; j >= 0; j--) if (stages[j].name === name.toLowerCase()) return j
    return undefined
  }
  const need = new Set<number>()
  const visit = (i: number) => {
    if (need.has(i)) return
    need.add(i)
    const s = stages[i]
    const from = byName(baseOf(s), i)
    if (from !== undefined) visit(from)
    for (const c of s.commands) {
      if (c.kind !== 'copy' || !c.from) continue
      const idx = /^\d+$/.test(c.from) ? Number(c.from) : byName(c.from, i)
      if (idx !== undefined && idx < i) visit(idx)
    }
  }
  visit(last)
  return [...need].sort((a, b) => a - b)
}

/**
 * WORKDIR: mkdir -p of a path the image (`stack`, its layers) may lack, in a container's upper
 * directory; existing parents are copied up as overlayfs would (their mode and owner).
 */
export function mkdirInUpper(stack: LayerStack, upper: string, path: string): void {
  if (stack.tryLookup(path, true)?.st.isDirectory()) return
  let canonical = '/'
  const parts = cleanPath(path).split('/').filter(Boolean)
  for (let i = 0; i < parts.length; i++) {
    const next = posix.join(canonical, parts[i])
    const e = stack.tryLookup(next, true)
    canonical = e ? e.path : next
    const host = join(upper, canonical)
    if (lstatSync(host, { throwIfNoEntry: false })) continue
    mkdirSync(host)
    // An existing directory is copied up as overlayfs would (its mode and owner); a new one is 0755 root.
    chmodSync(host, e?.st.isDirectory() ? e.st.mode & 0o7777 : 0o755)
    if (e?.st.isDirectory()) lchownSync(host, e.st.uid, e.st.gid)
  }
}
