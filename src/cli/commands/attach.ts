// tocker attach: connect this terminal to a running container's stdio (its output from now on,
// and stdin if the container has it open). Ctrl-P Ctrl-Q (or --detach-keys) lets go again.
import type { Command } from '../spec.js'

export const attach: Command = {
  usage: '[OPTIONS] CONTAINER',
  paths: ['container attach', 'attach'],
  args: { min: 1, max: 1 },
  complete: 'containers',
  options: [
    { name: 'detach-keys', type: 'string', description: { en: 'Override the key sequence for detaching a container', ko: '빠져나오는(detach) 키 조합을 바꿉니다 (기본 ctrl-p,ctrl-q)' } },
    { name: 'no-stdin', type: 'bool', description: { en: 'Do not attach STDIN', ko: '표준 입력은 연결하지 않습니다' } },
    { name: 'sig-proxy', type: 'bool', default: true, description: { en: 'Proxy all received signals to the process', ko: '받은 시그널을 컨테이너의 프로세스에 전달합니다' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { TockerError }] = await Promise.all([import('../engine.js'), import('../../errors.js')])
    const client = await engineClient(g)
    const info = await client.inspectContainer(args[0])
    if (!info.State.Running) throw new TockerError('You cannot attach to a stopped container, start it first', { code: 'ECONFLICT' })
    const tty = !!info.Config.Tty
    ;(await import('../tty.js')).refuseTtyWithoutTerminal(!a['no-stdin'], tty)
    const { attachAndRun } = await import('../run-attached.js')
    return attachAndRun(client, info.Id, {
      tty,
      stdin: !a['no-stdin'] && !!info.Config.OpenStdin,
      start: false,
      removeAfter: false,
      sigProxy: a['sig-proxy'] !== false,
      detachKeys: a['detach-keys'] as string | undefined,
      escapeIsError: true,
    })
  },
}
