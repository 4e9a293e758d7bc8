// The lab guide's sessions (docs/lab/{en,ko}/*.md), read and run the way a learner types them.
//
// The convention (docs/lab/en/README.md, "How the guide is tested", says it for writers):
//   - A fenced block whose info string starts with `sh` is a terminal session. A line starting with
//     `$ ` is a command (a line ending in `\` continues it; a here-document runs to its terminator);
//     the lines after it, up to the next `$ `, are what it prints (stdout and stderr, as a terminal
//     shows them).
//   - Matching, line by line: `…` inside a line stands for any text, a line that is only `…` for any
//     number of lines (none included); runs of spaces match any run of spaces; trailing spaces do not
//     count. A command with no lines under it is run but its output is not checked.
//   - Every command must exit 0, unless the next command is `echo $?`, whose output says the status.
//   - Words after `sh` in the info string: `tty` (run under a terminal; lines starting with a shell
//     prompt, `/ # ` or `root@…# `, are typed; the other lines must appear in this order), `vm` (needs
//     the lab VM: cgroup v2 limits; run in the qemu VM tier), `internet` (needs Docker Hub or Debian's
//     mirror from inside a container: skipped), `host` (typed on the learner's own computer, not in
//     the VM: skipped), `docker` (needs Docker's `docker` CLI: skipped when it is not installed).
import { readFileSync } from 'node:fs'

export type BlockFlag = 'tty' | 'vm' | 'internet' | 'host' | 'docker'
const FLAGS: BlockFlag[] = ['tty', 'vm', 'internet', 'host', 'docker']

export interface Command {
  /** Line number (1-based) of the `$ ` line in its file. */
  line: number
  /** The command as typed (continuation lines and here-documents included, `$ ` removed). */
  text: string
  /** The lines under it. In a tty block, typed lines keep their prompt. */
  expected: string[]
}

export interface Block {
  line: number
  flags: Set<BlockFlag>
  commands: Command[]
}

export interface Chapter {
  file: string
  blocks: Block[]
}

/** The sessions of one Markdown file. Throws on an info-string word it does not know. */
export function parseChapter(markdown: string, file = '<chapter>'): Chapter {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*sh\b(.*)$/.exec(lines[i])
    if (!open) {
      // Skip other fenced blocks whole, so a `$ ` inside them is never taken for a command.
      const other = /^\s*(```+|~~~+)/.exec(lines[i])
      if (other) {
        const fence = other[1]
        for (i++; i < lines.length && !lines[i].trim().startsWith(fence); i++);
      }
      continue
    }
    const fence = open[2]
    const words = open[3].trim().split(/\s+/).filter(Boolean)
    for (const w of words) if (!FLAGS.includes(w as BlockFlag)) throw new Error(`${file}:${i + 1}: unknown word "${w}" after sh (known: ${FLAGS.join(', ')})`)
    const block: Block = { line: i + 1, flags: new Set(words as BlockFlag[]), commands: [] }
    const body: { n: number; text: string }[] = []
    for (i++; i < lines.length && !lines[i].trim().startsWith(fence); i++) body.push({ n: i + 1, text: lines[i] })
    if (i >= lines.length) throw new Error(`${file}:${block.line}: the sh block is not closed`)
    for (let j = 0; j < body.length; j++) {
      const { n, text } = body[j]
      if (!text.startsWith('$ ')) {
        if (block.commands.length === 0) {
          if (text.trim()) throw new Error(`${file}:${n}: a session must start with a "$ " command line, not ${JSON.stringify(text)}`)
          continue
        }
        block.commands.at(-1)!.expected.push(text)
        continue
      }
      let cmd = text.slice(2)
      while (cmd.endsWith('\\') && j + 1 < body.length) cmd += '\n' + body[++j].text
      const heredoc = /<<-?\s*(['"]?)(\w+)\1/.exec(cmd)
      if (heredoc) {
        const end = heredoc[2]
        while (j + 1 < body.length) {
          cmd += '\n' + body[++j].text
          if (body[j].text.trim() === end) break
        }
      }
      block.commands.push({ line: n, text: cmd, expected: [] })
    }
    // Trailing empty lines of the block are layout, not output.
    for (const c of block.commands) while (c.expected.length && !c.expected.at(-1)!.trim()) c.expected.pop()
    blocks.push(block)
  }
  return { file, blocks }
}

export function readChapter(path: string): Chapter {
  return parseChapter(readFileSync(path, 'utf8'), path)
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** One expected line as a regular expression over one actual line. */
export function linePattern(expected: string): RegExp {
  const parts = expected.trimEnd().replace(/\t/g, ' ').split('…').map((p) => escape(p).replace(/ +/g, ' +'))
  return new RegExp(`^${parts.join('.*')}$`)
}

const normalize = (s: string) => s.replace(/\t/g, ' ').replace(/\s+$/, '')

/**
 * Whether `actual` (the output, split in lines) matches the expected lines, with `…` lines
 * matching any number of lines. Returns undefined when it does, else a description of the first
 * line that could not be matched.
 */
export function matchLines(expected: string[], actual: string[]): string | undefined {
  const act = actual.map(normalize)
  const pats = expected.map((e) => (e.trim() === '…' ? undefined : linePattern(e)))
  let best = { e: 0, a: 0 }
  const memo = new Set<string>()
  const go = (e: number, a: number): boolean => {
    const key = `${e},${a}`
    if (memo.has(key)) return false
    memo.add(key)
    if (e > best.e || (e === best.e && a > best.a)) best = { e, a }
    if (e === pats.length) return a === act.length
    const p = pats[e]
    if (p === undefined) {
      for (let k = a; k <= act.length; k++) if (go(e + 1, k)) return true
      return false
    }
    return a < act.length && p.test(act[a]) && go(e + 1, a + 1)
  }
  if (go(0, 0)) return undefined
  if (best.e >= expected.length) return `unexpected output from line ${best.a + 1}: ${JSON.stringify(act[best.a])}`
  return `expected line ${best.e + 1} ${JSON.stringify(expected[best.e])}, got ${best.a < act.length ? JSON.stringify(act[best.a]) : 'the end of the output'}`
}

/** Shell prompts of the images the guide uses: busybox's `/ # `, bash's `root@<id>:<dir># `. */
/**
 * A command the test types again for a few seconds while what it prints does not match the chapter
 * yet, as a learner, slower than the test, would see it: `ip … link …` right after a removal (tocker
 * answers `rm` before deleting a veth the kernel has not yet deleted with the container's network
 * namespace; Docker answers after). (curl's "could not connect" is guide-run.ts's own retry.)
 */
export function looksAgain(command: string): boolean {
  return /^ip\b.*\blink\b/.test(command)
}

export const PROMPT = /^(\/\S*|root@[^:\s]*:\S*) ?# /

/** A tty block's typed lines and the lines that must appear, in order. */
export function ttyScript(c: Command): { typed: string[]; shown: string[] } {
  const typed: string[] = []
  const shown: string[] = []
  for (const l of c.expected) {
    const m = PROMPT.exec(l)
    if (m) typed.push(l.slice(m[0].length))
    else if (l.trim()) shown.push(l)
  }
  return { typed, shown }
}

/** Whether every shown line matches some line of the transcript, in order (a tty's echo and prompts in between). */
export function matchInOrder(shown: string[], transcript: string[]): string | undefined {
  let a = 0
  for (const s of shown) {
    if (s.trim() === '…') continue
    const p = linePattern(s)
    while (a < transcript.length && !p.test(normalize(transcript[a]))) a++
    if (a === transcript.length) return `never saw ${JSON.stringify(s)}`
    a++
  }
  return undefined
}

/** A terminal's bytes as lines: carriage returns and escape sequences (colours, cursor moves) removed. */
export function terminalLines(bytes: string): string[] {
  return bytes
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]/g, '')
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map((l) => l.slice(l.lastIndexOf('\r') + 1))
}

/** What the two languages must share: each block's flags and commands, in order. */
export function sessionShape(ch: Chapter): string[] {
  return ch.blocks.flatMap((b) => [`[${[...b.flags].sort().join(' ')}]`, ...b.commands.map((c) => (b.flags.has('tty') ? `${c.text} | ${ttyScript(c).typed.join(' | ')}` : c.text))])
}

export type Lang = 'en' | 'ko'
export const LOCALES: Record<Lang, string> = { en: 'C.UTF-8', ko: 'ko_KR.UTF-8' }

/** One command to run, with what each language's chapter says it prints. */
export interface Step {
  /** Where the English chapter has it (file:line). */
  where: string
  text: string
  /** The locale it runs in: Korean where the Korean chapter shows another output (a hint), else English. */
  lang: Lang
  /** The lines to match the output against (the chapter of `lang`). */
  expected: string[]
  /** Run in Korean: the English chapter's lines, matched against the output without its Korean hint lines. */
  english?: string[]
  /** Run in English, then again in Korean (an --explain that can be repeated): the Korean chapter's lines. */
  korean?: string[]
  /** The exit status it must have: 0, or what the `echo $?` after it shows. */
  status: number
}

export interface PairedBlock {
  where: string
  flags: Set<BlockFlag>
  steps: Step[]
  /** The tty block's command (its typed lines and shown lines), for the terminal runner. */
  commands: Command[]
}

/** A line of Korean (a hint, printed under Docker's English line with a Korean locale): it has Hangul. */
export const KOREAN_HINT = /[\uac00-\ud7a3]/

/** An --explain whose Korean phases can be checked by running it a second time: it leaves nothing behind. */
const REPEATABLE = /^sudo tocker (--explain (run .*--rm\b|exec )|(run|exec) --explain\b)/

/** What a command's status must be: 0, or what the `echo $?` after it shows. */
export function expectedStatus(commands: Command[], i: number): number {
  const next = commands[i + 1]
  if (next?.text.trim() === 'echo $?') return Number(next.expected[0])
  return 0
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((l, i) => l.trimEnd() === b[i].trimEnd())

/**
 * The English and the Korean chapter as one run: the same commands (else `problems` says where
 * they part); a command runs in Korean where the Korean chapter shows another output, which only a
 * failing command may (Docker's English line, then a Korean hint) and an --explain that can run
 * twice (its phases are in Korean; it runs in English, then again in Korean): tocker's other output
 * is the same in both languages.
 */
export function pairChapters(en: Chapter, ko: Chapter, name: string): { blocks: PairedBlock[]; problems: string[] } {
  const problems: string[] = []
  const enShape = sessionShape(en)
  const koShape = sessionShape(ko)
  const firstDiff = enShape.findIndex((s, i) => s !== koShape[i])
  if (firstDiff >= 0 || enShape.length !== koShape.length) {
    const i = firstDiff >= 0 ? firstDiff : Math.min(enShape.length, koShape.length)
    problems.push(`${name}: the Korean chapter parts from the English one at ${JSON.stringify(enShape[i] ?? '(its end)')} (Korean: ${JSON.stringify(koShape[i] ?? '(its end)')})`)
    return { blocks: [], problems }
  }
  const blocks = en.blocks.map((b, bi) => {
    const kb = ko.blocks[bi]
    const steps = b.commands.map((c, ci): Step => {
      const k = kb.commands[ci]
      const where = `${name}:${c.line}`
      const status = expectedStatus(b.commands, ci)
      const enLines = b.flags.has('tty') ? ttyScript(c).shown : c.expected
      const koLines = b.flags.has('tty') ? ttyScript(k).shown : k.expected
      if (same(enLines, koLines)) return { where, text: c.text, lang: 'en', expected: c.expected, status }
      if (status === 0 && !b.flags.has('tty') && REPEATABLE.test(c.text)) return { where, text: c.text, lang: 'en', expected: c.expected, korean: k.expected, status }
      if (status === 0 || b.flags.has('tty')) {
        problems.push(
          `${where} (ko ${k.line}): the Korean chapter shows another output for a command that succeeds; only errors (a Korean hint under Docker's line) and an --explain that can run twice (run --rm, exec) may differ`,
        )
      }
      return { where, text: c.text, lang: 'ko', expected: k.expected, english: c.expected, status }
    })
    return { where: `${name}:${b.line}`, flags: b.flags, steps, commands: b.commands }
  })
  return { blocks, problems }
}
