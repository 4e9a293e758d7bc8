// tocker push [OPTIONS] NAME[:TAG]: the engine sends the image to its registry (POST
// /images/{name}/push) and streams Docker's progress: "The push refers to repository […]", one line
// per layer (Preparing, Pushing, Pushed / Layer already exists / Mounted from …), then
// "latest: digest: sha256:… size: N". Credentials are the ones `tocker login` stored, sent in the
// request (the engine never reads the client's file).
import type { Command } from '../spec.js'

const en = (s: string, ko: string) => ({ en: s, ko })

export const push: Command = {
  usage: '[OPTIONS] NAME[:TAG]',
  paths: ['image push', 'push'],
  args: { min: 1, max: 1 },
  complete: 'images',
  options: [
    { name: 'all-tags', short: 'a', type: 'bool', description: en('Push all tags of an image to the repository', '저장소 이름의 태그를 모두 올립니다') },
    { name: 'quiet', short: 'q', type: 'bool', description: en('Suppress verbose output', '진행 상황을 출력하지 않습니다') },
    { name: 'disable-content-trust', type: 'bool', default: true, description: en('Skip image signing', '이미지 서명을 건너뜁니다 (tocker는 서명하지 않습니다)') },
  ],
  async run({ opts: a, args, g }) {
    const [{ parseReference, withDefaultTag, fullName, familiarName, familiarString }, { engineClient }, { displayJsonMessages }, { registryAuthFor }, { TockerError }] = await Promise.all([
      import('../../image/reference.js'),
      import('../engine.js'),
      import('../format/pull-progress.js'),
      import('../registry-auth.js'),
      import('../../errors.js'),
    ])
    const quiet = Boolean(a.quiet)
    let ref = parseReference(args[0])
    if (ref.digest !== undefined) throw new TockerError('cannot push a digest reference', { code: 'EINVALIDREF', exitCode: 1 })
    if (a['all-tags']) {
      if (ref.tag !== undefined) throw new TockerError("tag can't be used with --all-tags/-a", { code: 'EUSAGE', exitCode: 1 })
    } else if (ref.tag === undefined) {
      ref = withDefaultTag(ref)
      if (!quiet) process.stdout.write(`Using default tag: ${ref.tag}\n`)
    }
    const client = await engineClient(g)
    const res = await client.pushImage(fullName(ref), ref.tag, registryAuthFor(ref))
    await displayJsonMessages(res, quiet ? { write: () => true } : process.stdout)
    if (quiet) process.stdout.write((ref.tag ? familiarString(ref) : familiarName(ref)) + '\n')
  },
}
