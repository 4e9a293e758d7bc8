// tocker start: start stopped containers (their writable layer and config are kept); -a attaches
// to the output and returns the container's exit code, -i also forwards stdin.
import { TockerError } from '../../errors.js'
import type { Command } from '../spec.js'

export const start: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  paths: ['container start', 'start'],
  args: { min: 1 },
  complete: 'containers',
  options: [
    { name: 'attach', short: 'a', type: 'bool', description: { en: 'Attach STDOUT/STDERR and forward signals', ko: '출력(STDOUT/STDERR)을 연결하고 시그널을 전달합니다' } },
    { name: 'detach-keys', type: 'string', description: { en: 'Override the key sequence for detaching a container', ko: '빠져나오는(detach) 키 조합을 바꿉니다 (기본 ctrl-p,ctrl-q)' } },
    { name: 'interactive', short: 'i', type: 'bool', description: { en: "Attach container's STDIN", ko: '컨테이너의 표준 입력(STDIN)을 연결합니다' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    if (!a.attach && !a.interactive) return forEachContainer(args, (c) => client.startContainer(c), client)
    if (args.length > 1) throw new TockerError('you cannot start and attach multiple containers at once', { code: 'EATTACHMANY' })
    const { attachAndRun } = await import('../run-attached.js')
    const info = await client.inspectContainer(args[0])
    const tty = !!info.Config.Tty
    if (a.interactive) (await import('../tty.js')).refuseTtyWithoutTerminal(true, tty)
    return attachAndRun(client, info.Id, {
      tty,
      stdin: !!a.interactive && !!info.Config.OpenStdin,
      start: true,
      removeAfter: false,
      detachKeys: a['detach-keys'] as string | undefined,
    })
  },
}
