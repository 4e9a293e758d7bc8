// tocker diff CONTAINER (also `container diff`): what the container changed in its writable layer
// (GET /containers/{id}/changes), one line each as Docker prints them: "A /tmp/new", "C /tmp",
// "D /etc/group" — Added, Changed, Deleted — sorted by path.
import type { Command } from '../spec.js'
import { writeStdout } from '../output.js'

export const diff: Command = {
  usage: 'CONTAINER',
  paths: ['container diff', 'diff'],
  args: { min: 1, max: 1 },
  complete: 'containers',
  options: [],
  async run({ args, g }) {
    const { engineClient } = await import('../engine.js')
    const changes = (await (await engineClient(g)).containerChanges(args[0])) ?? []
    const kind = ['C', 'A', 'D']
    writeStdout(changes.map((c) => `${kind[c.Kind]} ${c.Path}\n`).join(''))
  },
}
