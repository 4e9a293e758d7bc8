// The instructions that only change the image config (all but RUN, WORKDIR, COPY and ADD): each
// changes the stage's run config and gives the history comment its step is committed with
// ("ENV a=b", "CMD [\"sh\"]"), as Docker's classic builder (moby's dispatchers.go).
import { TockerError } from '../../errors.js'
import { parsePortSpecs } from '../../network/port-spec.js'
import { parseSignal } from '../../sys/signals.js'
import type { Instruction } from './dockerfile/instructions.js'
import { goHealthcheck, goList, goQuoteList } from './image-config.js'
import type { StageState } from './types.js'

const DEFAULT_SHELL = ['/bin/sh', '-c']

export interface ConfigStepContext {
  /** Variable substitution with the step's environment. */
  expand(word: string): string
  /** EXPOSE: the words one argument expands to. */
  words(word: string): string[]
  print(text: string): void
}

/**
 * ArgsEscaped after CMD or ENTRYPOINT, as moby's resolveCmdLine: a Windows-only flag (the command
 * line is already escaped for CreateProcess), so on Linux a command line clears it; an empty one
 * (CMD []) keeps what the parent image said. Omitted when false, as Docker's JSON does.
 */
function argsEscaped(rc: StageState['runConfig'], cmdLine: string[]): void {
  if (cmdLine.length) delete rc.ArgsEscaped
}

/** Apply a config instruction to state.runConfig; returns the step's history comment. RUN, WORKDIR, COPY and ADD are the builder's. */
export function configStep(state: StageState, cmd: Instruction, ctx: ConfigStepContext): string {
  const x = ctx.expand
  const rc = state.runConfig
  switch (cmd.kind) {
    case 'env': {
      const parts: string[] = []
      for (const { key, value } of cmd.pairs) {
        const k = x(key)
        const v = x(value)
        if (k === '') throw new TockerError('ENV names can not be blank', { code: 'EBUILD' })
        parts.push(`${k}=${v}`)
        const list = rc.Env ?? []
        const i = list.findIndex((e) => e.split('=', 1)[0] === k)
        if (i >= 0) list[i] = `${k}=${v}`
        else list.push(`${k}=${v}`)
        rc.Env = list
      }
      return `ENV ${parts.join(' ')}`
    }
    case 'label': {
      const literal = (cmd as { literal?: boolean }).literal
      const parts: string[] = []
      rc.Labels = rc.Labels ?? {}
      for (const { key, value } of cmd.pairs) {
        const k = literal ? key : x(key)
        const v = literal ? value : x(value)
        rc.Labels[k] = v
        parts.push(`${k}=${v}`)
      }
      return `LABEL ${parts.join(' ')}`
    }
    case 'maintainer':
      state.maintainer = cmd.maintainer
      return `MAINTAINER ${cmd.maintainer}`
    case 'cmd': {
      const c = commandLine(state, cmd.cmdLine, cmd.prependShell)
      rc.Cmd = c
      argsEscaped(rc, cmd.cmdLine)
      if (cmd.cmdLine.length) state.cmdSet = true
      return `CMD ${goQuoteList(c ?? [])}`
    }
    case 'entrypoint': {
      const c = commandLine(state, cmd.cmdLine, cmd.prependShell)
      rc.Entrypoint = c
      argsEscaped(rc, cmd.cmdLine)
      if (!state.cmdSet) rc.Cmd = null
      return `ENTRYPOINT ${goQuoteList(c ?? [])}`
    }
    case 'healthcheck': {
      const old = rc.Healthcheck?.Test
      if (old?.length && old[0] !== 'NONE') ctx.print(`Note: overriding previous HEALTHCHECK: ${goList(old)}\n`)
      rc.Healthcheck = Object.fromEntries(Object.entries(cmd.health).filter(([, v]) => v !== undefined))
      return `HEALTHCHECK ${goHealthcheck(rc.Healthcheck)}`
    }
    case 'expose': {
      const ports = cmd.ports.flatMap((p) => ctx.words(p))
      rc.ExposedPorts = { ...(rc.ExposedPorts ?? {}) }
      for (const p of Object.keys(parsePortSpecs(ports).exposedPorts)) rc.ExposedPorts[p] = {}
      return `EXPOSE ${ports.join(' ')}`
    }
    case 'user':
      rc.User = x(cmd.user)
      return `USER ${rc.User}`
    case 'volume': {
      const vols = cmd.volumes.map(x)
      if (vols.some((v) => v === '')) throw new TockerError('VOLUME specified can not be an empty string', { code: 'EBUILD' })
      rc.Volumes = { ...(rc.Volumes ?? {}) }
      for (const v of vols) rc.Volumes[v] = {}
      return `VOLUME ${goList(vols)}`
    }
    case 'stopsignal': {
      const sig = x(cmd.signal)
      parseSignal(sig)
      rc.StopSignal = sig
      return `STOPSIGNAL ${sig}`
    }
    case 'arg': {
      const parts: string[] = []
      for (const a of cmd.args) {
        const value = a.value === undefined ? undefined : x(a.value)
        state.args.addArg(a.key, value)
        parts.push(value === undefined ? a.key : `${a.key}=${value}`)
      }
      return `ARG ${parts.join(' ')}`
    }
    case 'shell':
      rc.Shell = cmd.shell
      return `SHELL ${goList(cmd.shell)}`
    case 'onbuild':
      rc.OnBuild = [...(rc.OnBuild ?? []), cmd.expression]
      return `ONBUILD ${cmd.expression}`
    default:
      throw new TockerError(`${cmd.kind.toUpperCase()} is not a config instruction`, { code: 'EINTERNAL', internal: true })
  }
}

/** The SHELL of the stage (default /bin/sh -c). */
export function shellOf(state: StageState): string[] {
  return state.runConfig.Shell?.length ? state.runConfig.Shell : DEFAULT_SHELL
}

/** Shell form: the SHELL (default /bin/sh -c) plus the text; exec form: the array as written. */
export function commandLine(state: StageState, line: string[], prependShell: boolean): string[] | null {
  if (!prependShell) return [...line]
  if (line.length === 0) return null
  return [...shellOf(state), line.join(' ')]
}
