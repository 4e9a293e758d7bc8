// The Dockerfile's instructions with their meaning checked: parser.ts's nodes become typed
// instructions grouped into stages (one per FROM, ARGs before the first FROM kept apart), with
// Docker's error for each mistake ("dockerfile parse error on line 3: unknown instruction: RUNN
// (did you mean RUN?)"). Values are still unexpanded: the builder expands them step by step,
// because an ENV changes what the next instruction's $VAR means.
import { DockerfileParseError, type DockerfileNode, type ParsedDockerfile } from './parser.js'
import { editDistance } from '../../../edit-distance.js'

export interface KeyValue {
  key: string
  value: string
}

export interface HealthConfig {
  Test: string[]
  Interval?: number
  Timeout?: number
  StartPeriod?: number
  StartInterval?: number
  Retries?: number
}

interface Base {
  node: DockerfileNode
}

export type Instruction =
  | (Base & { kind: 'env'; pairs: KeyValue[] })
  | (Base & { kind: 'label'; pairs: KeyValue[] })
  | (Base & { kind: 'maintainer'; maintainer: string })
  | (Base & { kind: 'copy' | 'add'; sources: string[]; dest: string; from?: string; chown?: string; chmod?: string; link: boolean; parents: boolean; exclude: string[]; checksum?: string })
  | (Base & { kind: 'onbuild'; expression: string })
  | (Base & { kind: 'workdir'; path: string })
  | (Base & { kind: 'run' | 'cmd' | 'entrypoint'; cmdLine: string[]; prependShell: boolean; flags: string[] })
  | (Base & { kind: 'healthcheck'; health: HealthConfig })
  | (Base & { kind: 'expose'; ports: string[] })
  | (Base & { kind: 'user'; user: string })
  | (Base & { kind: 'volume'; volumes: string[] })
  | (Base & { kind: 'stopsignal'; signal: string })
  | (Base & { kind: 'arg'; args: { key: string; value?: string }[] })
  | (Base & { kind: 'shell'; shell: string[] })

export interface Stage {
  /** 0-based position in the Dockerfile. */
  index: number
  /** Lower-cased `AS` name, if any. */
  name?: string
  baseName: string
  platform?: string
  node: DockerfileNode
  commands: Instruction[]
}

export interface Dockerfile {
  stages: Stage[]
  /** ARG instructions before the first FROM (they may be used in FROM lines). */
  metaArgs: Extract<Instruction, { kind: 'arg' }>[]
  escapeToken: string
  warnings: string[]
}

export const INSTRUCTIONS = [
  'add',
  'arg',
  'cmd',
  'copy',
  'entrypoint',
  'env',
  'expose',
  'from',
  'healthcheck',
  'label',
  'maintainer',
  'onbuild',
  'run',
  'shell',
  'stopsignal',
  'user',
  'volume',
  'workdir',
] as const

/** The instruction code as Docker prints it in "Step N/M : …". */
export function stepText(node: Pick<DockerfileNode, 'original'>): string {
  return node.original.trim()
}

export function parseInstructions(parsed: ParsedDockerfile): Dockerfile {
  const stages: Stage[] = []
  const metaArgs: Extract<Instruction, { kind: 'arg' }>[] = []
  for (const node of parsed.nodes) {
    if (node.cmd === 'from') {
      stages.push(parseFrom(node, stages.length))
      continue
    }
    const ins = parseInstruction(node)
    if (stages.length === 0) {
      if (ins.kind === 'arg') {
        metaArgs.push(ins)
        continue
      }
      throw new DockerfileParseError(node.startLine, 'no build stage in current context')
    }
    stages[stages.length - 1].commands.push(ins)
  }
  return { stages, metaArgs, escapeToken: parsed.escapeToken, warnings: parsed.warnings }
}

/** One instruction node (ONBUILD triggers and `commit --change` use this too). */
export function parseInstruction(node: DockerfileNode): Instruction {
  const fail = (msg: string): never => {
    throw new DockerfileParseError(node.startLine, msg)
  }
  const flags = new Flags(node, fail)
  const upper = node.cmd.toUpperCase()
  const args = node.args
  switch (node.cmd) {
    case 'env':
    case 'label': {
      flags.parse()
      return { kind: node.cmd, node, pairs: keyValues(args, upper, fail) }
    }
    case 'maintainer':
      if (args.length !== 1) fail(`${upper} requires exactly one argument`)
      flags.parse()
      return { kind: 'maintainer', node, maintainer: args[0] }
    case 'add':
    case 'copy': {
      if (args.length < 2) fail(`${upper} requires at least two arguments, but only one was provided. Destination could not be determined`)
      const chown = flags.string('chown')
      const chmod = flags.string('chmod')
      const link = flags.bool('link')
      const exclude = flags.strings('exclude')
      const from = node.cmd === 'copy' ? flags.string('from') : undefined
      const parents = node.cmd === 'copy' ? flags.bool('parents') : () => false
      const checksum = node.cmd === 'add' ? flags.string('checksum') : undefined
      if (node.cmd === 'add') {
        flags.bool('keep-git-dir')
        flags.string('unpack')
      }
      flags.parse()
      return {
        kind: node.cmd,
        node,
        sources: args.slice(0, -1),
        dest: args[args.length - 1],
        from: from?.(),
        chown: chown(),
        chmod: chmod(),
        link: link(),
        parents: parents(),
        exclude: exclude(),
        checksum: checksum?.(),
      }
    }
    case 'onbuild': {
      if (!node.sub) fail(`${upper} requires at least one argument`)
      flags.parse()
      const trigger = node.sub!.name.toUpperCase()
      if (trigger === 'ONBUILD') fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
      if (trigger === 'MAINTAINER' || trigger === 'FROM') fail(`${trigger} isn't allowed as an ONBUILD trigger`)
      return { kind: 'onbuild', node, expression: node.original.replace(/^\s*ONBUILD\s*/i, '') }
    }
    case 'workdir':
      if (args.length !== 1) fail(`${upper} requires exactly one argument`)
      flags.parse()
      return { kind: 'workdir', node, path: args[0] }
    case 'run':
    case 'cmd':
    case 'entrypoint': {
      // The classic builder has no RUN flags (--mount, --network, --security are BuildKit's):
      // they are kept and refused when the step runs, with Docker's message.
      const used = node.cmd === 'run' ? node.flags.map((f) => f.replace(/^--/, '').replace(/=.*$/, '')) : (flags.parse(), [])
      return { kind: node.cmd, node, cmdLine: args, prependShell: !node.json, flags: used }
    }
    case 'healthcheck':
      return { kind: 'healthcheck', node, health: parseHealthcheck(node, flags, fail) }
    case 'expose':
      if (args.length === 0) fail(`${upper} requires at least one argument`)
      flags.parse()
      return { kind: 'expose', node, ports: [...args].sort() }
    case 'user':
      if (args.length !== 1) fail(`${upper} requires exactly one argument`)
      flags.parse()
      return { kind: 'user', node, user: args[0] }
    case 'volume': {
      if (args.length === 0) fail(`${upper} requires at least one argument`)
      flags.parse()
      const volumes = args.map((v) => v.trim())
      if (volumes.some((v) => v === '')) fail('VOLUME specified can not be an empty string')
      return { kind: 'volume', node, volumes }
    }
    case 'stopsignal':
      if (args.length !== 1) fail(`${upper} requires exactly one argument`)
      flags.parse()
      return { kind: 'stopsignal', node, signal: args[0] }
    case 'arg': {
      if (args.length === 0) fail(`${upper} requires at least one argument`)
      flags.parse()
      const out: { key: string; value?: string }[] = []
      for (const a of args) {
        const eq = a.indexOf('=')
        if (eq === 0) fail(`${upper} names can not be blank`)
        out.push(eq < 0 ? { key: a } : { key: a.slice(0, eq), value: a.slice(eq + 1) })
      }
      return { kind: 'arg', node, args: out }
    }
    case 'shell':
      flags.parse()
      if (args.length === 0) fail(`${upper} requires at least one argument`)
      if (!node.json) fail(`${upper} requires the arguments to be in JSON form`)
      return { kind: 'shell', node, shell: args }
  }
  return fail(`unknown instruction: ${node.name}${suggestion(node.name)}`)
}

function parseFrom(node: DockerfileNode, index: number): Stage {
  const fail = (msg: string): never => {
    throw new DockerfileParseError(node.startLine, msg)
  }
  const args = node.args
  let name: string | undefined
  if (args.length === 3 && args[1].toLowerCase() === 'as') {
    name = args[2].toLowerCase()
    if (!/^[a-z][a-z0-9-_.]*$/.test(name)) fail(`invalid name for build stage: ${JSON.stringify(args[2])}, name can't start with a number or contain symbols`)
  } else if (args.length !== 1) {
    fail('FROM requires either one or three arguments')
  }
  const flags = new Flags(node, fail)
  const platform = flags.string('platform')
  flags.parse()
  return { index, name, baseName: args[0], platform: platform() || undefined, node, commands: [] }
}

function keyValues(args: string[], cmd: string, fail: (m: string) => never): KeyValue[] {
  if (args.length === 0) fail(`${cmd} requires at least one argument`)
  if (args.length % 2 !== 0) fail(`${cmd} requires exactly one argument`)
  const out: KeyValue[] = []
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '') fail(`${cmd} names can not be blank`)
    out.push({ key: args[i], value: args[i + 1] })
  }
  return out
}

const MIN_DURATION_NS = 1_000_000 // container.MinimumDuration: 1 ms

function parseHealthcheck(node: DockerfileNode, flags: Flags, fail: (m: string) => never): HealthConfig {
  const args = node.args
  if (args.length === 0) fail('HEALTHCHECK requires at least one argument')
  const type = args[0].toUpperCase()
  const rest = args.slice(1)
  if (type === 'NONE') {
    if (rest.length !== 0) fail('HEALTHCHECK NONE takes no arguments')
    flags.parse()
    return { Test: ['NONE'] }
  }
  const interval = flags.string('interval')
  const timeout = flags.string('timeout')
  const startPeriod = flags.string('start-period')
  const startInterval = flags.string('start-interval')
  const retries = flags.string('retries')
  flags.parse()
  if (type !== 'CMD') fail(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`)
  if (rest.length === 0) fail('Missing command after HEALTHCHECK CMD')
  const health: HealthConfig = { Test: [node.json ? 'CMD' : 'CMD-SHELL', ...rest] }
  const dur = (name: string, v: string) => {
    if (v === '') return undefined
    const ns = parseGoDuration(v)
    if (ns === undefined) fail(`time: invalid duration ${JSON.stringify(v)}`)
    if (ns! < MIN_DURATION_NS) fail(`Interval ${JSON.stringify(name)} cannot be less than 1ms`)
    return ns
  }
  health.Interval = dur('interval', interval())
  health.Timeout = dur('timeout', timeout())
  health.StartPeriod = dur('start-period', startPeriod())
  health.StartInterval = dur('start-interval', startInterval())
  const r = retries()
  if (r !== '') {
    if (!/^[+-]?\d+$/.test(r)) fail(`strconv.ParseInt: parsing ${JSON.stringify(r)}: invalid syntax`)
    const n = Number(r)
    if (n < 1) fail(`--retries must be at least 1 (not ${n})`)
    health.Retries = n
  }
  return health
}

/** Go's time.ParseDuration, in nanoseconds ("1m30s", "500ms", "1.5h"). */
export function parseGoDuration(s: string): number | undefined {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }
  let rest = s
  let sign = 1
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1
    rest = rest.slice(1)
  }
  if (rest === '0') return 0
  if (rest === '') return undefined
  let total = 0
  while (rest !== '') {
    const m = /^(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/.exec(rest)
    if (!m || m[1] === '' || m[1] === '.') return undefined
    total += Number(m[1]) * units[m[2]]
    rest = rest.slice(m[0].length)
  }
  return Math.round(sign * total)
}

/** BuildKit's suggestion for a misspelt instruction (Levenshtein distance under 3). */
function suggestion(word: string): string {
  const lower = word.toLowerCase()
  let best = ''
  let min = 3
  for (const opt of INSTRUCTIONS) {
    if (opt === lower) return ''
    const d = editDistance(lower, opt)
    if (d < min) {
      min = d
      best = opt
    }
  }
  if (!best) return ''
  const shown = word === word.toLowerCase() ? best : word === word.toUpperCase() ? best.toUpperCase() : best
  return ` (did you mean ${shown}?)`
}

/** An instruction's --flags, as BuildKit's BFlags checks them. */
class Flags {
  #defs = new Map<string, { type: 'bool' | 'string' | 'strings'; value: string; values: string[] }>()

  constructor(
    private readonly node: DockerfileNode,
    private readonly fail: (m: string) => never,
  ) {}

  string(name: string): () => string {
    const f = { type: 'string' as const, value: '', values: [] }
    this.#defs.set(name, f)
    return () => f.value
  }

  bool(name: string): () => boolean {
    const f = { type: 'bool' as const, value: 'false', values: [] }
    this.#defs.set(name, f)
    return () => f.value === 'true'
  }

  strings(name: string): () => string[] {
    const f = { type: 'strings' as const, value: '', values: [] as string[] }
    this.#defs.set(name, f)
    return () => f.values
  }

  parse(): void {
    const used = new Set<string>()
    for (const raw of this.node.flags) {
      if (!raw.startsWith('--')) this.fail(`arg should start with -- : ${raw}`)
      if (raw === '--') return
      let name = raw.slice(2)
      let value = ''
      const eq = name.indexOf('=')
      if (eq >= 0) {
        value = name.slice(eq + 1)
        name = name.slice(0, eq)
      }
      const f = this.#defs.get(name)
      if (!f) this.fail(`unknown flag: ${name}`)
      if (used.has(name) && f!.type !== 'strings') this.fail(`duplicate flag specified: ${name}`)
      used.add(name)
      switch (f!.type) {
        case 'bool': {
          if (eq >= 0 && value === '') this.fail(`missing a value on flag: ${name}`)
          const lower = value.toLowerCase()
          if (lower === '') f!.value = 'true'
          else if (lower === 'true' || lower === 'false') f!.value = lower
          else this.fail(`expecting boolean value for flag ${name}, not: ${value}`)
          break
        }
        case 'string':
          if (eq < 0) this.fail(`missing a value on flag: ${name}`)
          f!.value = value
          break
        case 'strings':
          if (eq < 0) this.fail(`missing a value on flag: ${name}`)
          f!.values.push(value)
          break
      }
    }
  }
}
