// tocker kill: send a signal (default SIGKILL) to the container's first process.
import type { Command } from '../spec.js'

export const kill: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  paths: ['container kill', 'kill'],
  args: { min: 1 },
  complete: 'containers',
  options: [{ name: 'signal', short: 's', type: 'string', default: 'KILL', description: { en: 'Signal to send to the container', ko: '컨테이너에 보낼 시그널' } }],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(args, (c) => client.killContainer(c, a.signal as string), client)
  },
}
