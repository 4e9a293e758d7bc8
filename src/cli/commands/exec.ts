// tocker exec: run a new process in a running container (its namespaces and cgroup, its env,
// user and working directory unless -e/-u/-w say otherwise); the exit code is the process's.
import type { Command } from '../spec.js'

export const exec: Command = {
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  paths: ['container exec', 'exec'],
  args: { min: 2 },
  interspersed: false,
  complete: 'containers',
  options: [
    { name: 'detach', short: 'd', type: 'bool', description: { en: 'Detached mode: run command in the background', ko: '백그라운드에서 명령을 실행합니다' } },
    { name: 'detach-keys', type: 'string', description: { en: 'Override the key sequence for detaching a container', ko: '빠져나오는(detach) 키 조합을 바꿉니다 (기본 ctrl-p,ctrl-q)' } },
    { name: 'env', short: 'e', type: 'list', description: { en: 'Set environment variables', ko: '환경 변수를 설정합니다 (-e 이름=값)' } },
    { name: 'interactive', short: 'i', type: 'bool', description: { en: 'Keep STDIN open even if not attached', ko: '표준 입력(STDIN)을 열어 둡니다' } },
    { name: 'privileged', type: 'bool', description: { en: 'Give extended privileges to the command', ko: '명령에 확장 권한을 줍니다' } },
    { name: 'tty', short: 't', type: 'bool', description: { en: 'Allocate a pseudo-TTY', ko: '가상 터미널(TTY)을 할당합니다 (-it로 셸을 쓸 때)' } },
    { name: 'user', short: 'u', type: 'string', description: { en: 'Username or UID (format: "<name|uid>[:<group|gid>]")', ko: '사용자 이름 또는 UID (형식: "<이름|uid>[:<그룹|gid>]")' } },
    { name: 'workdir', short: 'w', type: 'string', description: { en: 'Working directory inside the container', ko: '컨테이너 안의 작업 디렉터리' } },
  ],
  async run({ opts: o, args, g }) {
    const [container, ...cmd] = args
    const tty = !!o.tty
    const detach = !!o.detach
    if (!detach) (await import('../tty.js')).refuseTtyWithoutTerminal(!!o.interactive, tty)
    const { engineClient } = await import('../engine.js')
    const client = await engineClient(g)
    const { Id } = await client.createExec(container, {
      Cmd: cmd,
      Env: (o.env as string[] | undefined) ?? [],
      WorkingDir: (o.workdir as string | undefined) ?? '',
      User: (o.user as string | undefined) ?? '',
      Tty: tty,
      AttachStdin: !!o.interactive && !detach,
      AttachStdout: !detach,
      AttachStderr: !detach,
    })
    if (detach) {
      await client.startExecDetached(Id, tty)
      return 0
    }
    const { pipeAttached } = await import('../attach-stdio.js')
    const conn = await client.startExecAttached(Id, tty)
    const end = await pipeAttached({
      ...conn,
      stdin: !!o.interactive,
      tty,
      resize: tty ? (h, w) => void client.resizeExec(Id, h, w).catch(() => {}) : undefined,
      detachKeys: o['detach-keys'] as string | undefined,
    })
    if (end.detached) return 0
    // The stream also ends when the engine goes away: the outcome is the process's, asked again.
    const info = await (await import('../reconnect.js')).execOutcome(client, Id)
    if (info.ExitCode === 127) {
      const image = (await client.inspectContainer(container)).Config.Image
      await (await import('../missing-command.js')).hintMissingCommand(client, image, cmd)
    }
    return info.ExitCode ?? 0
  },
}
