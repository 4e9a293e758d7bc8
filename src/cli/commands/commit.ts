// tocker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]] (also `container commit`): the container's
// writable layer becomes a new image on top of its image (POST /commit); prints the new image ID
// ("sha256:…") as Docker does. -m/--message, -a/--author, -c/--change (Dockerfile instructions:
// CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR, HEALTHCHECK).
import type { Command } from '../spec.js'

const en = (s: string, ko: string) => ({ en: s, ko })

export const commit: Command = {
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  paths: ['container commit', 'commit'],
  args: { min: 1, max: 2 },
  complete: 'containers',
  options: [
    { name: 'author', short: 'a', type: 'string', description: en('Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")', '만든 사람') },
    { name: 'change', short: 'c', type: 'list', description: en('Apply Dockerfile instruction to the created image', 'Dockerfile 명령(CMD, ENV 등)을 새 이미지에 적용합니다') },
    { name: 'message', short: 'm', type: 'string', description: en('Commit message', '커밋 메시지 (history의 COMMENT)') },
    { name: 'pause', short: 'p', type: 'bool', default: true, description: en('Pause container during commit', '커밋하는 동안 컨테이너를 멈춥니다 (cgroup v2 freezer, 기본값)') },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { parseReference, familiarName }, { TockerError }] = await Promise.all([import('../engine.js'), import('../../image/reference.js'), import('../../errors.js')])
    let repo: string | undefined
    let tag: string | undefined
    if (args[1] !== undefined) {
      const ref = parseReference(args[1])
      if (ref.digest !== undefined) throw new TockerError('refusing to create a tag with a digest reference', { code: 'EINVALIDREF', exitCode: 1 })
      repo = familiarName(ref)
      tag = ref.tag
    }
    const changes = (a.change as string[] | undefined) ?? []
    const r = await (await engineClient(g)).commit({
      container: args[0],
      repo,
      tag,
      comment: a.message as string | undefined,
      author: a.author as string | undefined,
      ...(changes.length ? { changes: changes.join('\n') } : {}),
      ...(a.pause === false ? { pause: '0' } : {}),
    })
    process.stdout.write(`${r.Id}\n`)
  },
}
