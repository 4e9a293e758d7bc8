// The commit a checkout is at, for `tocker-runtime --version` (runc prints "commit: <id>"), read
// from the files git keeps, without running git:
//   - .git is a directory (a clone) or a file "gitdir: <dir>" (a worktree made by `git worktree
//     add`, or a submodule): that dir has HEAD;
//   - HEAD is a commit id (detached) or "ref: refs/heads/<branch>";
//   - a worktree's branch refs live in the common dir (its "commondir" file names it), and a ref
//     may be a loose file or a line of packed-refs ("<id> <ref>").
import { readFileSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'

/** A file's text, or undefined when it (or a directory on the way) does not exist. */
function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw err
  }
}

function gitDirOf(checkout: string): string | undefined {
  const dotGit = join(checkout, '.git')
  let text: string | undefined
  try {
    text = readIfThere(dotGit)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') return dotGit
    throw err
  }
  const m = text === undefined ? undefined : /^gitdir: (.+)$/m.exec(text)
  if (!m) return undefined
  return isAbsolute(m[1].trim()) ? m[1].trim() : resolve(checkout, m[1].trim())
}

/** The first 12 hex digits of the commit `checkout` is at, or undefined when it is no git checkout. */
export function gitCommit(checkout: string): string | undefined {
  const gitDir = gitDirOf(checkout)
  if (!gitDir) return undefined
  const head = readIfThere(join(gitDir, 'HEAD'))?.trim()
  if (!head) return undefined
  if (!head.startsWith('ref: ')) return /^[0-9a-f]{40,64}$/.test(head) ? head.slice(0, 12) : undefined
  const ref = head.slice(5).trim()
  const common = readIfThere(join(gitDir, 'commondir'))?.trim()
  const commonDir = common ? resolve(gitDir, common) : gitDir
  for (const dir of new Set([gitDir, commonDir])) {
    const loose = readIfThere(join(dir, ref))?.trim()
    if (loose) return loose.slice(0, 12)
  }
  const packed = readIfThere(join(commonDir, 'packed-refs')) ?? ''
  for (const line of packed.split('\n')) {
    const [id, name] = line.split(' ')
    if (name === ref && /^[0-9a-f]{40,64}$/.test(id)) return id.slice(0, 12)
  }
  return undefined
}
