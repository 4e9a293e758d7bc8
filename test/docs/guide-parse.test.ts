// The guide test's reader and matcher (test/docs/guide.ts), without root: how a chapter's sessions
// are cut into commands and expected lines, and what `…` matches. If these were wrong, the guide
// test could pass on a guide that no longer says what tocker does.
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { linePattern, looksAgain, matchInOrder, matchLines, pairChapters, parseChapter, readChapter, sessionShape, terminalLines, ttyScript } from './guide.js'
import { repoPath } from '../helpers/paths.js'

const md = (s: string) => s.replace(/^ {2}/gm, '')

t.test('sh blocks are sessions; other fences and prose are not', async (t) => {
  const ch = parseChapter(
    md(`# Title
  $ not a command (prose)

  \`\`\`
  $ not a command either (a plain fence)
  \`\`\`

  \`\`\`sh
  $ sudo tocker run busybox echo hello
  hello
  $ echo a \\
    b
  a b

  \`\`\`

  \`\`\`sh tty vm
  $ sudo tocker run -it busybox sh
  / # hostname
  …
  / # exit
  \`\`\`
  `),
    'x.md',
  )
  t.equal(ch.blocks.length, 2)
  t.same(
    ch.blocks[0].commands.map((c) => ({ text: c.text, expected: c.expected, line: c.line })),
    [
      { text: 'sudo tocker run busybox echo hello', expected: ['hello'], line: 9 },
      { text: 'echo a \\\n  b', expected: ['a b'], line: 11 },
    ],
  )
  t.same([...ch.blocks[1].flags].sort(), ['tty', 'vm'])
  t.same(ttyScript(ch.blocks[1].commands[0]), { typed: ['hostname', 'exit'], shown: ['…'] })
})

t.test('a here-document belongs to its command; unknown flags and unclosed blocks are errors', async (t) => {
  const ch = parseChapter(md(`\`\`\`sh
  $ cat > f <<'EOF'
  $ not a command: inside the here-document
  EOF
  $ cat f
  $ not a command: inside the here-document
  \`\`\`
  `))
  t.same(ch.blocks[0].commands.map((c) => c.text), ["cat > f <<'EOF'\n$ not a command: inside the here-document\nEOF", 'cat f', 'not a command: inside the here-document'])
  t.throws(() => parseChapter('```sh internet2\n$ true\n```\n', 'y.md'), /y\.md:1: unknown word "internet2"/)
  t.throws(() => parseChapter('```sh\n$ true\n', 'z.md'), /z\.md:1: the sh block is not closed/)
  t.throws(() => parseChapter('```sh\noutput first\n$ true\n```\n', 'w.md'), /w\.md:2: a session must start/)
})

t.test('matching: … in a line, … lines, runs of spaces', async (t) => {
  t.ok(linePattern('Status: Downloaded newer image for …').test('Status: Downloaded newer image for busybox:latest'))
  t.notOk(linePattern('hello').test('hello world'), 'a line matches whole')
  t.ok(linePattern('CONTAINER ID   IMAGE').test('CONTAINER ID      IMAGE'), 'runs of spaces')
  t.notOk(linePattern('a b').test('ab'))
  t.ok(linePattern('a.b (c) [d] $e').test('a.b (c) [d] $e'), 'regular expression characters are literal')
  t.equal(matchLines(['a', '…', 'd'], ['a', 'b', 'c', 'd']), undefined)
  t.equal(matchLines(['a', '…', 'd'], ['a', 'd']), undefined, '… matches no line too')
  t.equal(matchLines(['…'], []), undefined)
  t.equal(matchLines([], []), undefined)
  t.match(matchLines(['a', 'b'], ['a', 'c']), /expected line 2 "b", got "c"/)
  t.match(matchLines(['a'], ['a', 'extra']), /unexpected output from line 2: "extra"/)
  t.match(matchLines(['a', 'b'], ['a']), /got the end of the output/)
  t.equal(matchLines(['x …', '…', 'y'], ['x 1', 'y', 'x 2', 'y']), undefined, 'backtracks over … lines')
  t.equal(matchLines(['trailing'], ['trailing   ']), undefined)
})

t.test('a terminal transcript: escapes and carriage returns removed; shown lines in order', async (t) => {
  const lines = terminalLines('\x1b[?2004h/ # hostname\r\n3f1c2a4b5d6e\r\n\x1b[1;32m/ # \x1b[0mexit\r\n')
  t.same(lines, ['/ # hostname', '3f1c2a4b5d6e', '/ # exit', ''])
  t.equal(matchInOrder(['…', '3f1c2a4b5d6e'], lines), undefined)
  t.match(matchInOrder(['3f1c2a4b5d6e', 'bye'], ['bye', '3f1c2a4b5d6e']), /never saw "bye"/, 'order counts')
  t.equal(ttyScript({ line: 1, text: 'x', expected: ['root@3f1c2a4b5d6e:/usr/local/apache2# ls', 'htdocs', '/usr # pwd', '/usr'] }).typed.join('|'), 'ls|pwd', "bash's and busybox's prompts")
})

t.test('the shape two languages must share ignores the expected output of plain blocks', async (t) => {
  const en = parseChapter('```sh\n$ tocker rm x\nError: no such container\n```\n')
  const ko = parseChapter('```sh\n$ tocker rm x\nError: no such container\n힌트: …\n```\n')
  t.same(sessionShape(en), sessionShape(ko))
  const other = parseChapter('```sh vm\n$ tocker rm x\n```\n')
  t.not(sessionShape(en).join('\n'), sessionShape(other).join('\n'), 'flags count')
})

t.test('docs/lab: every chapter in both languages, with the same commands, outputs differing only where they may', async (t) => {
  const lab = repoPath('docs', 'lab') + '/'
  const md = (lang: string) => readdirSync(join(lab, lang)).filter((f) => f.endsWith('.md')).sort()
  const chapters = md('en').filter((f) => /^\d\d-/.test(f))
  t.ok(chapters.length >= 8, `${chapters.length} chapters`)
  t.same(md('ko'), md('en'), 'the same files in en/ and ko/')
  for (const f of chapters) {
    if (!existsSync(join(lab, 'ko', f))) continue
    const { blocks, problems } = pairChapters(readChapter(join(lab, 'en', f)), readChapter(join(lab, 'ko', f)), f)
    t.same(problems, [], `${f}: the Korean chapter runs what the English one runs`)
    t.ok(blocks.some((b) => b.steps.length > 0), `${f} has sessions`)
  }
  for (const lang of ['en', 'ko']) {
    // Each chapter links to the other language's and its neighbours; every relative link resolves.
    for (const f of md(lang)) {
      const text = readFileSync(join(lab, lang, f), 'utf8')
      for (const m of text.matchAll(/\]\(([^)#:]+)(#[^)]*)?\)/g)) t.ok(existsSync(join(lab, lang, m[1])), `${lang}/${f}: the link ${m[1]} resolves`)
    }
  }
})

t.test('every numbered chapter is run by guide-1.test.ts or guide-2.test.ts', async (t) => {
  const here = new URL('.', import.meta.url).pathname
  const parts = ['guide-1.test.ts', 'guide-2.test.ts'].flatMap((f) => /GUIDE_PART = '([^']*)'/.exec(readFileSync(join(here, f), 'utf8'))?.[1].split(',') ?? [])
  const lab = repoPath('docs', 'lab', 'en') + '/'
  for (const f of readdirSync(lab).filter((f) => /^\d\d-.*\.md$/.test(f))) t.ok(parts.includes(f.slice(0, 2)), `${f} is in a GUIDE_PART`)
})

t.test("what the test looks at again while it does not match yet: ip's links (a removed container's veth goes just after rm's answer)", async (t) => {
  t.ok(looksAgain('ip -br link show master tocker0 | wc -l'), 'the veths of the bridge, after rm -f (chapter 3)')
  t.ok(looksAgain('ip -br link show master tocker0'))
  t.notOk(looksAgain('sudo iptables -t nat -S TOCKER | grep DNAT | wc -l'), 'the rule is gone when rm answers: checked once')
  t.notOk(looksAgain('ip -br addr show tocker0'))
  t.notOk(looksAgain('sudo tocker rm -f ws ws2'))
  // Chapter 3 still checks the veths after its removal, in both languages.
  for (const lang of ['en', 'ko']) {
    const ch = readChapter(repoPath(`docs/lab/${lang}/03-ports.md`))
    const cmds = ch.blocks.flatMap((b) => b.commands)
    const rm = cmds.findIndex((c) => c.text === 'sudo tocker rm -f ws ws2')
    const after = cmds.slice(rm + 1).find((c) => looksAgain(c.text))
    t.same(after && { text: after.text, expected: after.expected }, { text: 'ip -br link show master tocker0 | wc -l', expected: ['0'] }, `${lang}: the veths listed after rm -f, none`)
  }
})
