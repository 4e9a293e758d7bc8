// tocker rm: remove containers (-f kills a running one first; -v also removes the container's
// anonymous volumes: those of the image's VOLUME and of -v /path).
import type { Command } from '../spec.js'

export const rm: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  paths: ['container rm', 'container remove', 'rm'],
  args: { min: 1 },
  complete: 'containers',
  options: [
    { name: 'force', short: 'f', type: 'bool', description: { en: 'Force the removal of a running container (uses SIGKILL)', ko: '실행 중인 컨테이너도 강제로 삭제합니다 (SIGKILL 사용)' } },
    { name: 'link', short: 'l', type: 'bool', hidden: true, description: { en: 'Remove the specified link' } },
    { name: 'volumes', short: 'v', type: 'bool', description: { en: 'Remove anonymous volumes associated with the container', ko: '컨테이너에 딸린 익명 볼륨도 삭제합니다' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(args, (c) => client.removeContainer(c, { force: !!a.force, v: !!a.volumes }), client)
  },
}
