// tocker inspect / container inspect: Docker-shaped JSON of containers (an array), or --format.
import { writeStdout } from '../output.js'
import { OBJECT_FORMAT_HELP, type Command, type CommandContext } from '../spec.js'

const FORMAT = { name: 'format', short: 'f', type: 'string', description: OBJECT_FORMAT_HELP } as const
/** tocker's own: the kernel view of a running container instead of Docker's JSON (commands/kernel.ts). */
const KERNEL = { name: 'kernel', type: 'bool', description: { en: "Show what the kernel holds for a running container (as 'tocker kernel')", ko: "실행 중인 컨테이너를 커널에서 본 모습을 보여 줍니다 ('tocker kernel'과 같음)" } } as const

export const inspect: Command = {
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  args: { min: 1 },
  complete: 'containers',
  options: [
    FORMAT,
    { name: 'size', short: 's', type: 'bool', description: { en: 'Display total file sizes if the type is container', ko: '파일 크기 합계를 보여 줍니다 (무시됨)' } },
    { name: 'type', type: 'string', description: { en: 'Only inspect objects of the given type', ko: '이 종류의 객체만 봅니다 (container, image)' } },
    KERNEL,
  ],
  run: (ctx) => (ctx.opts.kernel ? import('./kernel.js').then((m) => m.showKernel(ctx)) : inspectObjects(ctx, ctx.opts.type as string | undefined)),
}

export const containerInspect: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  args: { min: 1 },
  complete: 'containers',
  options: [FORMAT, { name: 'size', short: 's', type: 'bool', description: { en: 'Display total file sizes', ko: '파일 크기 합계를 보여 줍니다 (무시됨)' } }, KERNEL],
  run: (ctx) => (ctx.opts.kernel ? import('./kernel.js').then((m) => m.showKernel(ctx)) : inspectObjects(ctx, 'container')),
}

async function inspectObjects({ opts: a, args, g }: CommandContext, type: string | undefined): Promise<number> {
  const [{ engineClient }, { render }, { isTockerError, TockerError }] = await Promise.all([import('../engine.js'), import('../format/template.js'), import('../../errors.js')])
  if (type !== undefined && type !== 'container' && type !== 'image') throw new TockerError(`"${type}" is not a valid value for --type`, { code: 'EINVALID' })
  const client = type === 'image' ? undefined : await engineClient(g)
  const found: unknown[] = []
  let failed = false
  for (const name of args) {
    if (client) {
      try {
        found.push(await client.inspectContainer(name))
        continue
      } catch (err) {
        if (!isTockerError(err) || err.status !== 404 || type === 'container') throw err
      }
    }
    // Like Docker's `inspect`: a name that is no container may be an image.
    try {
      found.push(await (client ?? (await engineClient(g))).inspectImage(name))
    } catch (err) {
      if (!isTockerError(err) || err.status !== 404) throw err
      failed = true
      process.stderr.write(`Error: No such object: ${name}\n`)
    }
  }
  if (a.format) {
    for (const o of found) writeStdout(render(String(a.format), o) + '\n')
  } else {
    writeStdout(JSON.stringify(found, null, 4) + '\n')
  }
  return failed ? 1 : 0
}
