// tocker-runtime --version's "commit:" line: read from git's files in a clone, in a worktree (.git
// is a file there: it printed "unknown" before), with the branch packed or loose, or detached.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gitCommit } from '../../../src/runtime-cli/git-commit.js'

const A = 'a'.repeat(12) + '1'.repeat(28)
const B = 'b'.repeat(12) + '2'.repeat(28)
const work = mkdtempSync(join(tmpdir(), 'tocker-gitcommit-'))
t.teardown(() => rmSync(work, { recursive: true, force: true }))

function files(root: string, tree: Record<string, string>): void {
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
}

t.test('a clone: .git is a directory, the branch a loose ref or a packed one', async (t) => {
  files(join(work, 'clone'), { '.git/HEAD': 'ref: refs/heads/main\n', '.git/refs/heads/main': `${A}\n` })
  t.equal(gitCommit(join(work, 'clone')), A.slice(0, 12))
  files(join(work, 'packed'), { '.git/HEAD': 'ref: refs/heads/main\n', '.git/packed-refs': `# pack-refs with: peeled fully-peeled sorted\n${B} refs/heads/other\n${A} refs/heads/main\n` })
  t.equal(gitCommit(join(work, 'packed')), A.slice(0, 12))
})

t.test('a worktree: .git is a file naming its gitdir, the branch in the common dir', async (t) => {
  files(join(work, 'repo'), {
    '.git/worktrees/wt/HEAD': 'ref: refs/heads/wt-branch\n',
    '.git/worktrees/wt/commondir': '../..\n',
    '.git/refs/heads/wt-branch': `${B}\n`,
  })
  files(join(work, 'wt'), { '.git': `gitdir: ${join(work, 'repo/.git/worktrees/wt')}\n` })
  t.equal(gitCommit(join(work, 'wt')), B.slice(0, 12))
  files(join(work, 'rel'), { '.git': 'gitdir: ../repo/.git/worktrees/wt\n' })
  t.equal(gitCommit(join(work, 'rel')), B.slice(0, 12), 'a relative gitdir')
})

t.test('detached HEAD; no checkout at all; a branch with no commit yet', async (t) => {
  files(join(work, 'detached'), { '.git/HEAD': `${A}\n` })
  t.equal(gitCommit(join(work, 'detached')), A.slice(0, 12))
  mkdirSync(join(work, 'plain'))
  t.equal(gitCommit(join(work, 'plain')), undefined)
  files(join(work, 'empty'), { '.git/HEAD': 'ref: refs/heads/main\n' })
  t.equal(gitCommit(join(work, 'empty')), undefined)
})

t.test('this checkout (a worktree here, a clone in CI): the commit git itself names', async (t) => {
  const repo = new URL('../../..', import.meta.url).pathname
  let head: string
  try {
    head = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    t.pass('no git checkout here (git cannot name a commit): nothing to compare')
    return
  }
  t.equal(gitCommit(repo), head.slice(0, 12))
})
