// The config-only instructions' effect on the image config, without root. ArgsEscaped is Docker's
// Windows-only flag (moby's resolveCmdLine): on Linux a CMD or ENTRYPOINT with a command line clears
// it, an empty one (CMD []) keeps what the parent image said, and false is omitted from the JSON.
import t from 'tap'
import { parseDockerfile } from '../../../src/engine/build/dockerfile/parser.js'
import { parseInstructions } from '../../../src/engine/build/dockerfile/instructions.js'
import { configStep } from '../../../src/engine/build/config-steps.js'
import type { StageState } from '../../../src/engine/build/types.js'

function build(lines: string, parent: StageState['runConfig'] = {}): StageState['runConfig'] {
  const df = parseInstructions(parseDockerfile(`FROM scratch\n${lines}`))
  const state = { imageId: '', image: undefined, runConfig: { ...parent }, maintainer: '', cmdSet: false, args: {} } as unknown as StageState
  for (const cmd of df.stages[0].commands) configStep(state, cmd, { expand: (w) => w, words: (w) => [w], print: () => {} })
  return state.runConfig
}

t.test('ArgsEscaped: never set by a Linux CMD or ENTRYPOINT, as Docker', async (t) => {
  for (const line of ['CMD ["sh"]', 'CMD echo hi', 'ENTRYPOINT ["/bin/app"]', 'ENTRYPOINT exec app', 'ENTRYPOINT ["a"]\nCMD ["b"]']) {
    const rc = build(line)
    t.notOk('ArgsEscaped' in rc, `${line.replace('\n', '; ')}: no ArgsEscaped (${JSON.stringify(rc)})`)
  }
  t.notOk('ArgsEscaped' in build('CMD ["x"]', { ArgsEscaped: true }), "a command line clears the parent's (a Windows-built parent)")
  t.equal(build('CMD []', { ArgsEscaped: true }).ArgsEscaped, true, "CMD [] keeps the parent's, as resolveCmdLine")
  t.same(build('CMD ["sh"]').Cmd, ['sh'])
})
