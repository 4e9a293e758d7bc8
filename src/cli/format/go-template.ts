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

import { fail, parse, type Arg, type Node, type Pipe, type Value } from './go-template-parse.js'
import { field, FUNCS, show, truth } from './go-template-values.js'

export { TemplateError } from './go-template-parse.js'
export { show } from './go-template-values.js'

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
