// tocker kernel CONTAINER (also `tocker inspect --kernel`): what the kernel holds for a running
// container, from the engine's GET /containers/{id}/kernel: each namespace's inode beside the
// host's, the mount table it sees (the overlay with its layers, /proc, /dev, masked and read-only
// paths, bind mounts), its cgroup with limit and usage files, its veth, bridge and iptables rules,
// its capabilities, seccomp mode and no_new_privs. What a teacher projects on the wall.
import { OBJECT_FORMAT_HELP, type Command, type CommandContext } from '../spec.js'

export const kernel: Command = {
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  paths: ['container kernel', 'kernel'],
  args: { min: 1 },
  complete: 'containers',
  options: [{ name: 'format', short: 'f', type: 'string', description: OBJECT_FORMAT_HELP }],
  run: (ctx) => showKernel(ctx),
}

export async function showKernel({ opts: o, args, g }: CommandContext): Promise<number> {
  const [{ engineClient }, { formatKernelView }, { render }] = await Promise.all([import('../engine.js'), import('../format/kernel.js'), import('../format/template.js')])
  const client = await engineClient(g)
  for (const [i, name] of args.entries()) {
    const view = await client.kernelView(name)
    if (o.format) process.stdout.write(render(String(o.format), view) + '\n')
    else process.stdout.write((i > 0 ? '\n' : '') + formatKernelView(view, g.root))
  }
  return 0
}
