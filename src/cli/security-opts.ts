// --security-opt and --privileged on the client side, as Docker's CLI handles them before sending
// HostConfig (docker/cli parseSecurityOpts, parseSystemPaths): a seccomp profile is a file *here*,
// so its content is read and sent compacted ("seccomp={...}"); the engine never opens the path.
// systempaths=unconfined is the client's too: it becomes empty MaskedPaths and ReadonlyPaths.
import { readFileSync } from 'node:fs'
import { type ErrorCode, TockerError } from '../errors.js'
import { withHelp } from './with-help.js'

export interface ClientSecurityOpts {
  securityOpt: string[]
  maskedPaths?: string[]
  readonlyPaths?: string[]
}

/** Docker prints these as "docker: <message>" and a pointer to --help, exit 125. */
function invalid(message: string, code: ErrorCode = 'ESECURITYOPT'): TockerError {
  return withHelp(new TockerError(message, { code, exitCode: 125 }))
}

/** Go's wording of a failed open: "open /x.json: no such file or directory". */
function goOpenError(path: string, err: NodeJS.ErrnoException): string {
  const what = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message
  return `open ${path}: ${what}`
}

/** JSON without the whitespace between tokens, the text kept as written (Go's json.Compact: big numbers stay exact). */
export function compactJson(text: string): string {
  JSON.parse(text) // throws on invalid JSON
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      out += c
      if (c === '\\') out += text[++i]
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
      out += c
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c
    }
  }
  return out
}

export function clientSecurityOpts(opts: readonly string[]): ClientSecurityOpts {
  const out: ClientSecurityOpts = { securityOpt: [] }
  for (const opt of opts) {
    if (opt === 'systempaths=unconfined') {
      out.maskedPaths = []
      out.readonlyPaths = []
      continue
    }
    let sep = opt.indexOf('=')
    let key = sep < 0 ? opt : opt.slice(0, sep)
    if (sep < 0 && key !== 'no-new-privileges') {
      sep = opt.indexOf(':')
      key = sep < 0 ? opt : opt.slice(0, sep)
    }
    const value = sep < 0 ? '' : opt.slice(sep + 1)
    // no-new-privileges is the only option without a value.
    if ((sep < 0 || value === '') && key !== 'no-new-privileges') throw invalid(`Invalid --security-opt: ${JSON.stringify(opt)}`)
    if (key === 'seccomp' && value !== 'builtin' && value !== 'unconfined') {
      let text: string
      try {
        text = readFileSync(value, 'utf8')
      } catch (err) {
        throw invalid(`opening seccomp profile (${value}) failed: ${goOpenError(value, err as NodeJS.ErrnoException)}`, 'ESECCOMPPROFILE')
      }
      try {
        out.securityOpt.push(`seccomp=${compactJson(text)}`)
      } catch (err) {
        throw invalid(`compacting json for seccomp profile (${value}) failed: ${(err as Error).message}`, 'ESECCOMPPROFILE')
      }
      continue
    }
    out.securityOpt.push(opt)
  }
  return out
}
