// Go's text/template (go-template.ts) parsed: its tokens, actions and pipelines into a tree of
// nodes; and the error type of parse and execution alike ("template: :1: …").
import { TockerError } from '../../errors.js'

export type Value = unknown

export type Node =
  | { k: 'text'; s: string }
  | { k: 'action'; p: Pipe }
  | { k: 'if' | 'with'; p: Pipe; list: Node[]; else?: Node[] }
  | { k: 'range'; p: Pipe; list: Node[]; else?: Node[] }
  | { k: 'break' | 'continue' }

export interface Pipe {
  decl: string[]
  assign: boolean // "=" rather than ":="
  cmds: Arg[][]
}

export type Arg =
  | { k: 'field'; base: 'dot' | string; path: string[] } // .A.B, $x.A, $
  | { k: 'lit'; v: Value }
  | { k: 'fn'; name: string }
  | { k: 'sub'; p: Pipe; path: string[] } // (pipeline).A.B

/** Go's text/template's parse or execution error ("template: :1: …"); template.ts words it. */
export class TemplateError extends TockerError {
  constructor(message: string) {
    super(message, { code: 'ETEMPLATE', internal: true })
    this.name = 'TemplateError'
  }
}

export const fail = (msg: string): never => {
  throw new TemplateError(`template: :1: ${msg}`)
}

// ---- lexing and parsing ----

function tokenize(src: string): string[] {
  const out: string[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]
    if (/\s/.test(c)) {
      i++
    } else if (c === '"' || c === '`' || c === "'") {
      let j = i + 1
      while (j < src.length && src[j] !== c) j += c !== '`' && src[j] === '\\' ? 2 : 1
      if (j >= src.length) fail('unterminated quoted string')
      out.push(src.slice(i, j + 1))
      i = j + 1
    } else if (c === '(' || c === ')' || c === '|' || c === ',') {
      out.push(c)
      i++
    } else if (src.startsWith(':=', i)) {
      out.push(':=')
      i += 2
    } else if (c === '=') {
      out.push('=')
      i++
    } else {
      let j = i
      while (j < src.length && !/[\s()|,=]/.test(src[j]) && !src.startsWith(':=', j)) j++
      out.push(src.slice(i, j))
      i = j
    }
  }
  return out
}

function literal(tok: string): Value | undefined {
  if (tok === 'true') return true
  if (tok === 'false') return false
  if (tok === 'nil') return null
  if (tok[0] === '"') return JSON.parse(tok.replace(/\\([abfnrtv'\\"])/g, (m, e: string) => (e === "'" ? "'" : e === 'a' ? '\\u0007' : e === 'v' ? '\\u000b' : m)))
  if (tok[0] === '`') return tok.slice(1, -1)
  if (tok[0] === "'") return (JSON.parse(`"${tok.slice(1, -1).replace(/"/g, '\\"')}"`) as string).codePointAt(0)
  if (/^[-+]?(0x[0-9a-f]+|\d+(\.\d*)?(e[-+]?\d+)?|\.\d+)$/i.test(tok)) return Number(tok)
  return undefined
}

function fieldPath(s: string): string[] {
  return s.split('.').filter(Boolean)
}

class Parser {
  i = 0
  constructor(readonly toks: string[]) {}

  pipe(stopAtParen = false): Pipe {
    const p: Pipe = { decl: [], assign: false, cmds: [] }
    // "$a, $b :=" or "$a :=" / "$a ="
    const save = this.i
    const vars: string[] = []
    while (this.toks[this.i]?.startsWith('$') && !this.toks[this.i].includes('.')) {
      vars.push(this.toks[this.i++])
      if (this.toks[this.i] === ',') this.i++
      else break
    }
    if (vars.length && (this.toks[this.i] === ':=' || this.toks[this.i] === '=')) {
      p.assign = this.toks[this.i] === '='
      p.decl = vars
      this.i++
    } else {
      this.i = save
    }
    let cmd: Arg[] = []
    while (this.i < this.toks.length) {
      const t = this.toks[this.i]
      if (t === ')') {
        if (!stopAtParen) fail('unexpected right paren')
        break
      }
      this.i++
      if (t === '|') {
        if (!cmd.length) fail('missing command')
        p.cmds.push(cmd)
        cmd = []
        continue
      }
      cmd.push(this.arg(t))
    }
    if (!cmd.length) fail(p.cmds.length ? 'missing command' : 'missing value for command')
    p.cmds.push(cmd)
    return p
  }

  arg(t: string): Arg {
    if (t === '(') {
      const p = this.pipe(true)
      if (this.toks[this.i++] !== ')') fail('unclosed left paren')
      // ").A.B" comes as the next token when it starts with a dot right after the paren.
      let path: string[] = []
      const next = this.toks[this.i]
      if (next?.startsWith('.') && next.length > 1) {
        path = fieldPath(next)
        this.i++
      }
      return { k: 'sub', p, path }
    }
    if (t === '.') return { k: 'field', base: 'dot', path: [] }
    if (t.startsWith('.') && !/^\.\d/.test(t)) return { k: 'field', base: 'dot', path: fieldPath(t) }
    if (t.startsWith('$')) {
      const [name, ...rest] = t.split('.')
      return { k: 'field', base: name, path: rest.filter(Boolean) }
    }
    const v = literal(t)
    if (v !== undefined || t === 'nil') return { k: 'lit', v }
    if (/^[A-Za-z_]\w*$/.test(t)) return { k: 'fn', name: t }
    return fail(`unexpected "${t}" in command`)
  }
}

interface Action {
  body: string
}

export function parse(src: string): Node[] {
  // Split into text and actions, honouring the trim markers.
  const parts: (string | Action)[] = []
  let i = 0
  while (i < src.length) {
    const open = src.indexOf('{{', i)
    if (open < 0) {
      parts.push(unescapeText(src.slice(i)))
      break
    }
    let text = unescapeText(src.slice(i, open))
    let start = open + 2
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '')
      start += 1
    }
    parts.push(text)
    let end = src.indexOf('}}', start)
    // A "}}" inside a quoted string does not close the action.
    for (let q = start, inStr: string | undefined; q < src.length; q++) {
      const ch = src[q]
      if (inStr) {
        if (ch === '\\' && inStr !== '`') q++
        else if (ch === inStr) inStr = undefined
      } else if (ch === '"' || ch === '`') inStr = ch
      else if (src.startsWith('}}', q)) {
        end = q
        break
      }
    }
    if (end < 0) fail('unclosed action')
    let body = src.slice(start, end)
    i = end + 2
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1)
      const m = /^\s*/.exec(src.slice(i))!
      i += m[0].length
    }
    parts.push({ body: body.trim() })
  }

  let pos = 0
  const list = (ends: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = []
    while (pos < parts.length) {
      const part = parts[pos++]
      if (typeof part === 'string') {
        if (part) nodes.push({ k: 'text', s: part })
        continue
      }
      const body = part.body
      if (body.startsWith('/*')) {
        if (!body.endsWith('*/')) fail('unclosed comment')
        continue
      }
      const word = /^(\w+)/.exec(body)?.[1] ?? ''
      if (word === 'end' || word === 'else') {
        if (!ends.includes(word)) fail(`unexpected {{${word}}}`)
        return { nodes, end: body }
      }
      if (word === 'if' || word === 'with' || word === 'range') nodes.push(control(word, body.slice(word.length)))
      else if (word === 'break' || word === 'continue') nodes.push({ k: word })
      else if (word === 'define' || word === 'template' || word === 'block') fail(`{{${word}}} is not supported by tocker`)
      else nodes.push({ k: 'action', p: pipeOf(body) })
    }
    if (ends.length) fail('unexpected EOF')
    return { nodes, end: '' }
  }
  const control = (kind: 'if' | 'with' | 'range', rest: string): Node => {
    const p = pipeOf(rest)
    const body = list(['end', 'else'])
    const node: { k: 'if' | 'with' | 'range'; p: Pipe; list: Node[]; else?: Node[] } = { k: kind, p, list: body.nodes }
    if (body.end.startsWith('else')) {
      const tail = body.end.slice(4).trim()
      // "else if …" / "else with …": the rest of the chain is the else branch.
      const chained = /^(if|with)\b/.exec(tail)?.[1] as 'if' | 'with' | undefined
      if (chained) node.else = [control(chained, tail.slice(chained.length))]
      else {
        if (tail) fail(`unexpected "${tail}" in else`)
        const e = list(['end'])
        node.else = e.nodes
      }
    }
    return node
  }
  return list([]).nodes
}

/** Docker's CLI turns a typed "\t" and "\n" into a tab and a newline (formatter.go's preFormat). */
function unescapeText(s: string): string {
  return s.replace(/\\t/g, '\t').replace(/\\n/g, '\n')
}

function pipeOf(src: string): Pipe {
  const toks = tokenize(src)
  if (!toks.length) fail('missing value for command')
  const parser = new Parser(toks)
  const p = parser.pipe()
  if (parser.i < toks.length) fail(`unexpected "${toks[parser.i]}" in operand`)
  return p
}
