// The Dockerfile's line syntax, as Docker's parser (BuildKit's frontend/dockerfile/parser, which
// Docker's classic builder uses too) reads it:
//
//   - parser directives: `# escape=\`` and `# syntax=…` on the first lines, before any comment,
//     blank line or instruction; each at most once (`syntax` is read and ignored: tocker has one
//     frontend, its own);
//   - comments: a line whose first non-blank character is `#` (anywhere else `#` is an argument);
//   - continuations: the escape character at the end of a line (before optional blanks) joins the
//     next one; comment lines inside a continuation are dropped, blank ones skipped with a warning;
//   - each instruction: a name (any case), then `--flags`, then arguments parsed the way that
//     instruction's rule says (JSON array or shell form, name=value pairs, whitespace words, …;
//     those forms are in arguments.ts).
//
// Nothing is expanded here ($VAR substitution happens when a step runs: lexer.ts) and nothing is
// checked beyond the syntax (instructions.ts gives the nodes their meaning and Docker's errors).
import { TockerError } from '../../../errors.js'
import { extractBuilderFlags, healthConfig, maybeJson, maybeJsonToList, parseNameVal, parseWords, trimLeft, whitespaceWords } from './arguments.js'

export interface DockerfileNode {
  /** The instruction as written ("RUN", "run", …); `cmd` is its lower-case name. */
  name: string
  cmd: string
  /** The whole instruction, continuation lines joined (what "Step N/M :" prints). */
  original: string
  /** Builder flags before the arguments, as written: ["--from=build", "--chown=1:1"]. */
  flags: string[]
  /** The arguments, split by the instruction's rule (quotes still in place for shell words). */
  args: string[]
  /** The arguments were a JSON array (exec form). */
  json: boolean
  /** ONBUILD's trigger instruction. */
  sub?: DockerfileNode
  startLine: number
  endLine: number
}

export interface ParsedDockerfile {
  nodes: DockerfileNode[]
  escapeToken: string
  warnings: string[]
}

/** A Dockerfile that cannot be read; names the line as Docker does. */
export class DockerfileParseError extends TockerError {
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(`dockerfile parse error on line ${line}: ${detail}`, { code: 'EDOCKERFILE', status: 400, daemon: true })
    this.name = 'DockerfileParseError'
  }
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/
const KNOWN_DIRECTIVES = new Set(['escape', 'syntax', 'check'])
/** bufio.Scanner's limit: longer physical lines fail. */
const MAX_LINE = 64 * 1024 - 1

class Directives {
  escapeToken = '\\'
  continuation = Directives.continuationFor('\\')
  done = false
  seen = new Set<string>()

  /** The escape token at the end of a line, unless it is itself escaped (see setEscape). */
  static continuationFor(token: string): RegExp {
    const t = token === '\\' ? '\\\\' : token
    return new RegExp(`([^${t}])${t}[ \\t]*$|^${t}[ \\t]*$`)
  }

  /** A line that may be a parser directive (only before anything else). */
  consider(line: string, lineNo: number): void {
    if (this.done) return
    const m = DIRECTIVE.exec(line)
    if (!m) {
      this.done = true
      return
    }
    const key = m[1].toLowerCase()
    if (!KNOWN_DIRECTIVES.has(key)) {
      this.done = true
      return
    }
    if (this.seen.has(key)) throw new DockerfileParseError(lineNo, `only one ${key} parser directive can be used`)
    this.seen.add(key)
    if (key === 'escape') {
      const token = m[2]
      if (token !== '`' && token !== '\\') throw new DockerfileParseError(lineNo, `invalid escape token '${token}' does not match \` or \\`)
      this.escapeToken = token
      this.continuation = Directives.continuationFor(token)
    }
  }
}

function isComment(line: string): boolean {
  return trimLeft(line).startsWith('#')
}

/** The lines of a Dockerfile, without their line endings (CRLF too); a UTF-8 BOM dropped. */
function splitLines(text: string): string[] {
  if (text.startsWith('\uFEFF')) text = text.slice(1)
  const lines = text.split('\n')
  if (lines.length && lines[lines.length - 1] === '') lines.pop()
  return lines.map((l) => l.replace(/\r$/, ''))
}

export function parseDockerfile(text: string): ParsedDockerfile {
  const d = new Directives()
  const lines = splitLines(text)
  const nodes: DockerfileNode[] = []
  const warnings: string[] = []
  let i = 0
  const processLine = (raw: string, lineNo: number, stripLeft: boolean): string => {
    if (raw.length > MAX_LINE) throw new DockerfileParseError(lineNo, `dockerfile line greater than max allowed size of ${MAX_LINE}`)
    const token = stripLeft ? trimLeft(raw) : raw
    d.consider(token, lineNo)
    // A comment is dropped whole (`#` only counts as the first character after the left trim).
    return token.startsWith('#') ? '' : token
  }
  while (i < lines.length) {
    const startLine = i + 1
    let physical = processLine(lines[i], startLine, true)
    i++
    let [line, ended] = trimContinuation(physical, d)
    if (ended && line === '') continue
    let emptyContinuation = false
    while (!ended && i < lines.length) {
      const raw = lines[i]
      physical = processLine(raw, i + 1, false)
      i++
      if (isComment(raw)) continue
      if (trimLeft(physical) === '') {
        emptyContinuation = true
        continue
      }
      let more: string
      ;[more, ended] = trimContinuation(physical, d)
      line += more
    }
    if (emptyContinuation) warnings.push(`[WARNING]: Empty continuation line found in:\n    ${line}`)
    const node = nodeFromLine(line, d, startLine, i)
    nodes.push(node)
  }
  if (warnings.length) warnings.push('[WARNING]: Empty continuation lines will become errors in a future release.')
  if (nodes.length === 0) throw new DockerfileParseError(Math.max(lines.length, 1), 'file with no instructions')
  return { nodes, escapeToken: d.escapeToken, warnings }
}

function trimContinuation(line: string, d: Directives): [string, boolean] {
  if (d.continuation.test(line)) return [line.replace(d.continuation, '$1'), false]
  return [line, true]
}

// ---- one instruction ----

type LineParser = (rest: string, d: Directives, startLine: number, endLine: number) => { args: string[]; json: boolean; sub?: DockerfileNode }

const PARSERS: Record<string, LineParser> = {
  add: (rest) => maybeJsonToList(rest),
  arg: (rest, d) => ({ args: parseWords(rest, d.escapeToken), json: false }),
  cmd: (rest) => maybeJson(rest),
  copy: (rest) => maybeJsonToList(rest),
  entrypoint: (rest) => maybeJson(rest),
  env: (rest, d) => ({ args: parseNameVal(rest, 'ENV', d.escapeToken), json: false }),
  expose: (rest) => ({ args: whitespaceWords(rest), json: false }),
  from: (rest) => ({ args: whitespaceWords(rest), json: false }),
  healthcheck: (rest) => healthConfig(rest),
  label: (rest, d) => ({ args: parseNameVal(rest, 'LABEL', d.escapeToken), json: false }),
  maintainer: (rest) => ({ args: rest === '' ? [] : [rest], json: false }),
  onbuild: (rest, d, s, e) => (rest === '' ? { args: [], json: false } : { args: [], json: false, sub: nodeFromLine(rest, d, s, e) }),
  run: (rest) => maybeJson(rest),
  shell: (rest) => maybeJson(rest),
  stopsignal: (rest) => ({ args: rest === '' ? [] : [rest], json: false }),
  user: (rest) => ({ args: rest === '' ? [] : [rest], json: false }),
  volume: (rest) => maybeJsonToList(rest),
  workdir: (rest) => ({ args: rest === '' ? [] : [rest], json: false }),
}

function nodeFromLine(line: string, d: Directives, startLine: number, endLine: number): DockerfileNode {
  const { name, flags, rest } = splitCommand(line, startLine)
  const cmd = name.toLowerCase()
  const parse = PARSERS[cmd]
  // An unknown instruction parses (as nothing) and fails later, in instructions.ts, with a suggestion.
  let parsed: ReturnType<LineParser> = { args: [], json: false }
  if (parse) {
    try {
      parsed = parse(rest, d, startLine, endLine)
    } catch (err) {
      if (err instanceof DockerfileParseError) throw err
      throw new DockerfileParseError(startLine, (err as Error).message)
    }
  }
  return { name, cmd, original: line, flags, args: parsed.args, json: parsed.json, sub: parsed.sub, startLine, endLine }
}

/** The instruction's name, its `--flags` and the rest of the line. */
function splitCommand(line: string, lineNo: number): { name: string; flags: string[]; rest: string } {
  const trimmed = line.trim()
  const m = /[\t\v\f\r ]+/.exec(trimmed)
  if (!m) return { name: trimmed, flags: [], rest: '' }
  const name = trimmed.slice(0, m.index)
  const { rest, flags } = extractBuilderFlags(trimmed.slice(m.index + m[0].length), lineNo)
  return { name, flags, rest: rest.trim() }
}
