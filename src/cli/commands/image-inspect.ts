// tocker image inspect IMAGE...: the engine's GET /images/{name}/json (an array), or -f/--format.
import { writeStdout } from '../output.js'
import { OBJECT_FORMAT_HELP, type Command } from '../spec.js'

export const imageInspect: Command = {
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  args: { min: 1 },
  complete: 'images',
  options: [{ name: 'format', short: 'f', type: 'string', description: OBJECT_FORMAT_HELP }],
  async run({ opts: a, args, g }) {
    const [{ engineClient }, { render }, { isTockerError }] = await Promise.all([import('../engine.js'), import('../format/template.js'), import('../../errors.js')])
    const client = await engineClient(g)
    const found: unknown[] = []
    const missing: string[] = []
    for (const name of args) {
      try {
        found.push(await client.inspectImage(name))
      } catch (err) {
        if (!isTockerError(err) || err.status !== 404) throw err
        missing.push(name)
      }
    }
    if (a.format) {
      for (const o of found) writeStdout(render(String(a.format), o) + '\n')
    } else {
      writeStdout(JSON.stringify(found, null, 4) + '\n')
    }
    for (const m of missing) process.stderr.write(`Error: No such image: ${m}\n`)
    return missing.length ? 1 : 0
  },
}
