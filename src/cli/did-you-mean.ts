// "Did you mean …?" for a typo'd container or image name: `tocker stop ws3` when there is a ws2,
// `tocker run htpd` when httpd is here. Docker says only "No such container: ws3"; a learner who
// typed a name from a tutorial is helped by the names that do exist. Asked of the engine only after
// such an error, so a command that works costs nothing more. The closest names are cobra's rule
// for commands (usage-error.ts: within 2 edits, or starting with what was typed).
import type { EngineClient } from '../api/client.js'
import { TockerError, isUserFacing } from '../errors.js'
import { hintFor, hintLines } from '../i18n/index.js'
import { suggest } from './usage-error.js'

/** The hint lines naming the closest of `names` to `typed` (none when nothing is close or it is there). */
export function didYouMeanLines(typed: string, names: string[], listCommand: string): string[] {
  const unique = [...new Set(names)].filter((n) => n !== typed)
  const close = suggest(typed, unique)
  if (!close.length || close.length > 3) return []
  return hintLines(hintFor('EDIDYOUMEAN', { names: close.join(', '), list: listCommand }))
}

/** `err` with its hint extended by `lines` (unchanged when there are none). */
export function withHintLines(err: TockerError, lines: string[], code = err.code): TockerError {
  if (!lines.length) return err
  return new TockerError(err.message, { code, status: err.status, daemon: err.daemon, exitCode: err.exitCode, hint: [err.hint, ...lines].filter(Boolean).join('\n'), cause: err })
}

/** For "No such container: X" (and inspect's "No such object: X"): the containers' names. */
export async function withContainerSuggestion(err: unknown, client: EngineClient): Promise<unknown> {
  if (!isUserFacing(err)) return err
  const m = /^No such (?:container|object): (\S+)$/.exec(err.message)
  if (!m) return err
  try {
    const all = await client.listContainers({ all: true })
    return withHintLines(err, didYouMeanLines(m[1], all.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))), 'tocker ps -a'))
  } catch {
    return err // the engine cannot say: Docker's error alone
  }
}

/** Local images' names for `typed` (a repository, or repository:tag when a tag was typed). */
export async function imageSuggestionLines(typed: string, client: EngineClient): Promise<string[]> {
  try {
    const tags = (await client.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => t !== '<none>:<none>')
    const withTag = typed.includes(':')
    const names = tags.map((t) => (withTag ? t : t.slice(0, t.lastIndexOf(':'))))
    return didYouMeanLines(typed, names, 'tocker images')
  } catch {
    return []
  }
}
