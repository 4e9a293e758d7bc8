// Go's text/template, as Docker's --format uses it (docs.docker.com/go/formatting): actions with
// pipelines, variables ($, $x := …, $i, $v := range …), if / else if / else / with / range / break /
// continue / end, parentheses, field chains on any value ((index .Ports "80/tcp").HostPort), {{- -}}
// trimming and {{/* comments */}}; Go's built-in functions (and, or, not, len, index, slice, eq, ne,
// lt, le, gt, ge, print, printf, println) and Docker's own (json, join, split, title, lower, upper,
// pad, truncate: cli/templates/templates.go).
//
// Hand-written: the npm packages that parse Go templates do a subset (no variables, no len, no
// printf, no comparison) and add functions Go does not have. The data here is the API's JSON, so a
// "struct" is an object and a missing field prints "<no value>", as a missing map key does in Go.

import { TockerError } from '../../errors.js'

type Value = unknown

type Node =
  | { k: 'text'; s: string }
  | { k: 'action'; p: Pipe }
  | { k: 'if' | 'with'; p: Pipe; list: Node[]; else?: Node[] }
  | { k: 'range'; p: Pipe; list: Node[]; else?: Node[] }
  | { k: 'break' | 'continue' }

interface Pipe {
  decl: string[]
  assign: boolean // "=" rather than ":="
  cmds: Arg[][]
}

type Arg =
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

const fail = (msg: string): never => {
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

function parse(src: string): Node[] {
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

// ---- values as Go prints them ----

/** fmt's %v of a value decoded from JSON. */
export function show(v: Value): string {
  if (v === undefined) return '<no value>'
  if (v === null) return '<nil>'
  if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`
  if (typeof v === 'object') {
    return `map[${
      Object.keys(v as object)
        .sort()
        .map((k) => `${k}:${show((v as Record<string, Value>)[k])}`)
        .join(' ')
    }]`
  }
  return String(v)
}

function truth(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v as object).length > 0
  return true
}

function field(v: Value, name: string): Value {
  if (v === undefined || v === null) return fail(`nil pointer evaluating .${name}`)
  if (typeof v !== 'object' || Array.isArray(v)) return fail(`can't evaluate field ${name} in type ${typeof v}`)
  return (v as Record<string, Value>)[name]
}

// fmt's verbs for printf: %v %s %d %q %t %f %x %X %o %b %e %c %%, with flags, width and precision.
function sprintf(format: string, args: Value[]): string {
  let n = 0
  return format.replace(/%([-+ #0]*)(\d+|\*)?(?:\.(\d+))?([a-zA-Z%])/g, (_, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%'
    if (n >= args.length) return `%!${verb}(MISSING)`
    const a = args[n++]
    let s: string
    const num = typeof a === 'number' ? a : Number(a)
    switch (verb) {
      case 'v':
      case 's':
        s = show(a)
        if (prec !== undefined) s = s.slice(0, Number(prec))
        break
      case 'q':
        s = JSON.stringify(show(a))
        break
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${show(a)})`
        if (flags.includes('+') && num >= 0) s = '+' + s
        break
      case 't':
        s = show(a)
        break
      case 'f':
      case 'F':
        s = num.toFixed(prec === undefined ? 6 : Number(prec))
        break
      case 'e':
        s = num.toExponential(prec === undefined ? 6 : Number(prec)).replace(/e([-+])(\d)$/, 'e$10$2')
        break
      case 'x':
      case 'X':
        s = typeof a === 'string' ? Buffer.from(a).toString('hex') : Math.trunc(num).toString(16)
        if (verb === 'X') s = s.toUpperCase()
        break
      case 'o':
        s = Math.trunc(num).toString(8)
        break
      case 'b':
        s = Math.trunc(num).toString(2)
        break
      case 'c':
        s = String.fromCodePoint(num)
        break
      default:
        s = `%!${verb}(${show(a)})`
    }
    const w = width === undefined ? 0 : Number(width)
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : flags.includes('0') && /[dfx]/i.test(verb) ? s.padStart(w, '0') : s.padStart(w)
    return s
  }) + (n < args.length ? `%!(EXTRA ${args.slice(n).map((a) => `${typeof a}=${show(a)}`).join(', ')})` : '')
}

/**
 * encoding/json writes a struct's fields in their declared order (the API's order, kept) and a
 * map's keys sorted. The JSON here does not say which is which: an object with a key that is not
 * an exported Go field name ("80/tcp", a label) is a map.
 */
function goJsonOrder(_key: string, v: Value): Value {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v
  const keys = Object.keys(v)
  if (keys.every((k) => /^[A-Z]/.test(k))) return v
  return Object.fromEntries(keys.sort().map((k) => [k, (v as Record<string, Value>)[k]]))
}

function compare(name: string, a: Value, b: Value): number {
  const ok = (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string')
  if (!ok) fail(`error calling ${name}: incompatible types for comparison`)
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
}

function basic(v: Value): boolean {
  return v === null || v === undefined || typeof v !== 'object'
}

const FUNCS: Record<string, (...a: Value[]) => Value> = {
  not: (a) => !truth(a),
  len: (a) => {
    if (a === null) return 0
    if (typeof a === 'string') return Buffer.byteLength(a)
    if (Array.isArray(a)) return a.length
    if (typeof a === 'object') return Object.keys(a as object).length
    return fail(`error calling len: len of type ${typeof a}`)
  },
  index: (a, ...keys) => {
    let cur = a
    for (const k of keys) {
      if (cur === null || cur === undefined) return fail('error calling index: index of untyped nil')
      if (Array.isArray(cur) || typeof cur === 'string') {
        if (typeof k !== 'number') return fail('error calling index: cannot index slice/array with type string')
        if (k < 0 || k >= cur.length) return fail(`error calling index: index out of range: ${k}`)
        cur = cur[k]
      } else if (typeof cur === 'object') {
        // Go gives the zero value for a key the map does not have: the empty string of a label map.
        cur = Object.prototype.hasOwnProperty.call(cur, String(k)) ? (cur as Record<string, Value>)[String(k)] : ''
      } else return fail(`error calling index: can't index item of type ${typeof cur}`)
    }
    return cur
  },
  slice: (a, ...ix) => {
    if (typeof a !== 'string' && !Array.isArray(a)) return fail(`error calling slice: can't slice item of type ${typeof a}`)
    const [i = 0, j = a.length] = ix as number[]
    if (i < 0 || j < i || j > a.length) return fail(`error calling slice: index out of range: ${j}`)
    return a.slice(i, j)
  },
  eq: (a, ...bs) => {
    if (!bs.length) fail('wrong number of args for eq: want at least 2 got 1')
    if (!basic(a)) fail('error calling eq: invalid type for comparison')
    return bs.some((b) => a === b)
  },
  ne: (a, b) => a !== b,
  lt: (a, b) => compare('lt', a, b) < 0,
  le: (a, b) => compare('le', a, b) <= 0,
  gt: (a, b) => compare('gt', a, b) > 0,
  ge: (a, b) => compare('ge', a, b) >= 0,
  // fmt.Sprint: a space between two operands when neither is a string.
  print: (...a) => a.map((v, i) => (i > 0 && typeof v !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + show(v)).join(''),
  println: (...a) => a.map(show).join(' ') + '\n',
  printf: (f, ...a) => sprintf(String(f), a),
  // Docker's (cli/templates/templates.go).
  json: (a) => (a === undefined ? 'null' : JSON.stringify(a, goJsonOrder)),
  join: (a, sep) => {
    if (!Array.isArray(a)) return fail('error calling join: wrong type for value; expected []string')
    return a.map(show).join(String(sep))
  },
  split: (s, sep) => String(s).split(String(sep)),
  title: (s) => String(s).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, p: string, c: string) => p + c.toUpperCase()),
  lower: (s) => show(s).toLowerCase(),
  upper: (s) => show(s).toUpperCase(),
  pad: (s, prefix, suffix) => ' '.repeat(Number(prefix)) + show(s) + ' '.repeat(Number(suffix)),
  truncate: (s, n) => [...show(s)].slice(0, Number(n)).join(''),
}

// ---- execution ----

class Break {}
class Continue {}

interface Scope {
  vars: Map<string, Value>[]
}

function getVar(scope: Scope, name: string): Value {
  for (let i = scope.vars.length - 1; i >= 0; i--) if (scope.vars[i].has(name)) return scope.vars[i].get(name)
  return fail(`undefined variable: ${name}`)
}

function setVar(scope: Scope, name: string, v: Value, assign: boolean): void {
  if (assign) {
    for (let i = scope.vars.length - 1; i >= 0; i--) {
      if (scope.vars[i].has(name)) {
        scope.vars[i].set(name, v)
        return
      }
    }
    fail(`undefined variable: ${name}`)
  }
  scope.vars[scope.vars.length - 1].set(name, v)
}

function evalArg(a: Arg, dot: Value, scope: Scope): Value {
  switch (a.k) {
    case 'lit':
      return a.v
    case 'field': {
      let v = a.base === 'dot' ? dot : getVar(scope, a.base)
      for (const name of a.path) v = field(v, name)
      return v
    }
    case 'sub': {
      let v = evalPipe(a.p, dot, scope)
      for (const name of a.path) v = field(v, name)
      return v
    }
    case 'fn':
      return callFn(a.name, [], dot, scope, undefined)
  }
}

function callFn(name: string, args: Arg[], dot: Value, scope: Scope, final: { v: Value } | undefined): Value {
  // and / or: evaluated lazily, as Go 1.18+ does; the result is the deciding argument.
  if (name === 'and' || name === 'or') {
    const all = [...args.map((a) => () => evalArg(a, dot, scope)), ...(final ? [() => final.v] : [])]
    if (!all.length) fail(`wrong number of args for ${name}: want at least 1 got 0`)
    let v: Value
    for (const get of all) {
      v = get()
      if (truth(v) === (name === 'or')) return v
    }
    return v
  }
  const fn = FUNCS[name]
  if (!fn) return fail(`function "${name}" not defined`)
  const vals = args.map((a) => evalArg(a, dot, scope))
  if (final) vals.push(final.v)
  return fn(...vals)
}

function evalPipe(p: Pipe, dot: Value, scope: Scope): Value {
  let final: { v: Value } | undefined
  for (const cmd of p.cmds) {
    const [head, ...rest] = cmd
    let v: Value
    if (head.k === 'fn') v = callFn(head.name, rest, dot, scope, final)
    else {
      if (rest.length || final) fail(`can't give argument to non-function ${head.k === 'lit' ? show(head.v) : 'field'}`)
      v = evalArg(head, dot, scope)
    }
    final = { v }
  }
  const v = final!.v
  for (const name of p.decl.slice(0, 1)) setVar(scope, name, v, p.assign)
  return v
}

function run(nodes: Node[], dot: Value, scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.k) {
      case 'text':
        out.push(n.s)
        break
      case 'action': {
        const v = evalPipe(n.p, dot, scope)
        if (!n.p.decl.length) out.push(show(v))
        break
      }
      case 'if':
      case 'with': {
        scope.vars.push(new Map())
        try {
          const v = evalPipe(n.p, dot, scope)
          if (truth(v)) run(n.list, n.k === 'with' ? v : dot, scope, out)
          else if (n.else) run(n.else, dot, scope, out)
        } finally {
          scope.vars.pop()
        }
        break
      }
      case 'range': {
        scope.vars.push(new Map())
        try {
          const decl = n.p.decl
          const v = evalPipe({ ...n.p, decl: [] }, dot, scope)
          let items: [Value, Value][]
          if (v === null || v === undefined) items = []
          else if (Array.isArray(v)) items = v.map((x, i) => [i, x])
          else if (typeof v === 'object') {
            items = Object.keys(v as object)
              .sort()
              .map((k) => [k, (v as Record<string, Value>)[k]])
          } else if (typeof v === 'number' && Number.isInteger(v)) items = Array.from({ length: Math.max(0, v) }, (_, i) => [i, i])
          else return void fail(`range can't iterate over ${show(v)}`)
          if (!items.length) {
            if (n.else) run(n.else, dot, scope, out)
            break
          }
          for (const [key, item] of items) {
            if (decl.length === 1) scope.vars[scope.vars.length - 1].set(decl[0], item)
            if (decl.length === 2) {
              scope.vars[scope.vars.length - 1].set(decl[0], key)
              scope.vars[scope.vars.length - 1].set(decl[1], item)
            }
            try {
              run(n.list, item, scope, out)
            } catch (e) {
              if (e instanceof Break) break
              if (!(e instanceof Continue)) throw e
            }
          }
        } finally {
          scope.vars.pop()
        }
        break
      }
      case 'break':
        throw new Break()
      case 'continue':
        throw new Continue()
    }
  }
}

const cache = new Map<string, Node[]>()

/** Parse (once per template text) and execute `template` with `data` as dot and as $. */
export function execute(template: string, data: Value): string {
  let nodes = cache.get(template)
  if (!nodes) cache.set(template, nodes = parse(template))
  const out: string[] = []
  run(nodes, data, { vars: [new Map([['$', data]])] }, out)
  return out.join('')
}
