// The learner's hint for exit 127 of a package manager (tutorial 000 runs `apt update && apt
// install nano` in an httpd image; a busybox-based one answers "sh: apt: not found"). Which tools
// an image really has is in its layers, and only the engine may look there: tocker asks it the
// way a user could, with a throw-away container of the same image (no network, removed at once)
// that runs `command -v` for each package manager and editor. Only when the missing command is a
// package manager, so ordinary typos cost nothing.
import { demultiplex, type EngineClient } from '../api/client.js'
import { TockerError, isTockerError } from '../errors.js'
import { hintFor, hintLines, type HintLines } from '../i18n/index.js'

const PACKAGE_MANAGERS = ['apt', 'apt-get', 'apk', 'dnf', 'yum', 'microdnf', 'zypper', 'pacman']
const EDITORS = ['vi', 'nano', 'vim']
const VERB: Record<string, string> = { apk: 'add', pacman: '-S' }

/** The package manager a command line wanted: its program, or a word of `sh -c '…'`. */
export function wantedPackageManager(cmd: string[]): string | undefined {
  const base = (w: string) => w.slice(w.lastIndexOf('/') + 1)
  if (cmd.length === 0) return undefined
  if (PACKAGE_MANAGERS.includes(base(cmd[0]))) return base(cmd[0])
  const shell = ['sh', 'bash', 'ash', 'dash'].includes(base(cmd[0]))
  const script = shell ? cmd[cmd.indexOf('-c') + 1] : undefined
  if (!script || cmd.indexOf('-c') < 0) return undefined
  return script.split(/[\s;&|()]+/).map(base).find((w) => PACKAGE_MANAGERS.includes(w))
}

/** Run `command -v` for each tool in a container of `image`; undefined when it cannot tell. */
export async function toolsOf(client: EngineClient, image: string): Promise<string[] | undefined> {
  const script = `for p in ${[...PACKAGE_MANAGERS, ...EDITORS].join(' ')}; do command -v $p >/dev/null 2>&1 && echo $p; done; true`
  let id: string | undefined
  try {
    ;({ Id: id } = await client.createContainer({
      Image: image,
      Entrypoint: ['/bin/sh'],
      Cmd: ['-c', script],
      Tty: false,
      AttachStdout: false,
      AttachStderr: false,
      Labels: { 'tocker.probe': 'missing-command' },
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    }))
    await client.startContainer(id)
    const r = await client.waitContainer(id, 'not-running')
    if (r.StatusCode !== 0) return undefined
    const res = await client.logs(id, { stdout: 1, stderr: 0 })
    let out = ''
    const take = demultiplex((_s, d) => (out += d.toString('utf8')))
    for await (const chunk of res) take(chunk as Buffer)
    return out.split('\n').filter(Boolean)
  } catch {
    return undefined // no /bin/sh, an engine error: no hint rather than a wrong one
  } finally {
    if (id) await client.removeContainer(id, { force: true }).catch(() => {})
  }
}

/** The hint's lines (English, and Korean with a Korean locale), or undefined. */
export async function missingCommandHint(client: EngineClient, image: string, cmd: string[]): Promise<HintLines | undefined> {
  const wanted = wantedPackageManager(cmd)
  if (!wanted) return undefined
  const tools = await toolsOf(client, image)
  if (!tools) return undefined
  const found = tools.find((t) => PACKAGE_MANAGERS.includes(t) && t !== wanted && !(wanted.startsWith('apt') && t.startsWith('apt')))
  if (found) return hintFor('EOTHERPKGMGR', { image, wanted, found, verb: VERB[found] ?? 'install' })
  if (tools.some((t) => PACKAGE_MANAGERS.includes(t))) return undefined
  const editors = tools.filter((t) => EDITORS.includes(t))
  return hintFor('ENOPKGMGR', {
    image,
    wanted,
    editor: editors.length ? ` An editor is there already: ${editors.join(', ')}.` : '',
    editor_ko: editors.length ? ` 편집기 ${editors.join(', ')}는 이미 들어 있습니다.` : '',
  })
}

/** After `run` ended with 127: print the hint under what the container said. */
export async function hintMissingCommand(client: EngineClient, image: string, cmd: string[]): Promise<void> {
  const lines = hintLines(await missingCommandHint(client, image, cmd))
  if (lines.length) process.stderr.write(lines.join('\n') + '\n')
}

/** The same for a run/exec that failed with 127 (the program is not in the image): the hint joins the error's. */
export async function withMissingCommandHint(err: unknown, client: EngineClient, image: string, cmd: string[]): Promise<unknown> {
  if (!isTockerError(err) || err.exitCode !== 127) return err
  const lines = hintLines(await missingCommandHint(client, image, cmd))
  if (!lines.length) return err
  return new TockerError(err.message, { code: err.code, status: err.status, daemon: err.daemon, exitCode: 127, hint: [err.hint, ...lines].filter(Boolean).join('\n'), cause: err })
}

/** The program a command line ran: its first word, or the first word of `sh -c '…'`. */
function programOf(cmd: string[]): string | undefined {
  const base = (w: string) => w.slice(w.lastIndexOf('/') + 1)
  if (!cmd.length) return undefined
  const shell = ['sh', 'bash', 'ash', 'dash'].includes(base(cmd[0])) && cmd.indexOf('-c') >= 0
  const first = shell ? cmd[cmd.indexOf('-c') + 1]?.trim().split(/[\s;&|()]+/)[0] : cmd[0]
  return first === undefined ? undefined : base(first)
}

/** After `run` ended with 139 (SIGSEGV): busybox's wget is a known crasher (hints.ts, EWGETSEGV). */
export function hintCrashedProgram(cmd: string[]): void {
  if (programOf(cmd) !== 'wget' && !(programOf(cmd) === 'timeout' && cmd.includes('wget'))) return
  const lines = hintLines(hintFor('EWGETSEGV'))
  if (lines.length) process.stderr.write(lines.join('\n') + '\n')
}
