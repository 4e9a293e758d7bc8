// tocker restart: stop (as `stop` does) then start again, keeping the writable layer.
import type { Command } from '../spec.js'

export const restart: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  paths: ['container restart', 'restart'],
  args: { min: 1 },
  complete: 'containers',
  options: [
    { name: 'signal', short: 's', type: 'string', description: { en: 'Signal to send to the container', ko: '컨테이너에 보낼 시그널' } },
    { name: 'time', short: 't', type: 'int', description: { en: 'Seconds to wait before killing the container', ko: '강제로 멈추기(SIGKILL) 전에 기다릴 시간(초)' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { forEachContainer }] = await Promise.all([import('../engine.js'), import('../each-container.js')])
    const client = await engineClient(g)
    return forEachContainer(args, (c) => client.restartContainer(c, a.time as number | undefined), client)
  },
}
