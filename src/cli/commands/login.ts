// tocker login [SERVER]: check credentials against a registry and keep them in
// $TOCKER_CONFIG/config.json (default ~/.tocker/config.json) in Docker's format. Without SERVER:
// Docker Hub. Docker's options: -u/--username, -p/--password, --password-stdin.
import type { Command } from '../spec.js'

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '').replace(/\r$/, '')
}

/** Ask on the terminal; `hidden` reads without echo (for passwords). */
async function prompt(question: string, hidden: boolean): Promise<string> {
  const { createInterface } = await import('node:readline')
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true })
  if (hidden) {
    // Keep readline from echoing what is typed.
    ;(rl as any)._writeToOutput = (s: string) => {
      if (s.startsWith(question)) process.stdout.write(question)
    }
  }
  try {
    return await new Promise<string>((resolve) => rl.question(question, resolve))
  } finally {
    rl.close()
    if (hidden) process.stdout.write('\n')
  }
}

export const login: Command = {
  usage: '[OPTIONS] [SERVER]',
  args: { max: 1 },
  options: [
    { name: 'password', short: 'p', type: 'string', description: { en: 'Password or Personal Access Token (PAT)', ko: '비밀번호 또는 개인 액세스 토큰' } },
    { name: 'password-stdin', type: 'bool', description: { en: 'Take the Password or Personal Access Token (PAT) from stdin', ko: '비밀번호를 표준 입력에서 읽습니다' } },
    { name: 'username', short: 'u', type: 'string', description: { en: 'Username', ko: '사용자 이름' } },
  ],
  async run({ opts: a, args, g }) {
    const [{ TockerError }, { saveCredentials, credentialsPath, registryHostOf }, { engineClient }] = await Promise.all([
      import('../../errors.js'),
      import('../../registry-credentials.js'),
      import('../engine.js'),
    ])
    const host = registryHostOf(args[0])
    let username = a.username as string | undefined
    let password = a.password as string | undefined
    if (a['password-stdin']) {
      if (password !== undefined) throw new TockerError('--password and --password-stdin are mutually exclusive', { code: 'EUSAGE' })
      if (!username) throw new TockerError('Must provide --username with --password-stdin', { code: 'EUSAGE' })
      password = await readStdin()
    } else if (password !== undefined) {
      process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n')
    }
    if (!username || password === undefined) {
      if (!process.stdin.isTTY) throw new TockerError('Error: Cannot perform an interactive login from a non TTY device', { code: 'ENOTTY' })
      if (!username) username = (await prompt('Username: ', false)).trim()
      if (password === undefined) password = await prompt('Password: ', true)
    }
    if (!username) throw new TockerError('Error: Non-null Username Required', { code: 'EINVALID' })
    if (!password) throw new TockerError('Error: Password Required', { code: 'EINVALID' })
    // The engine checks them against the registry (POST /auth); the client keeps them.
    await (await engineClient(g)).auth({ username, password, serveraddress: host })
    saveCredentials(host, { username, password })
    process.stderr.write(`WARNING! Your credentials are stored unencrypted in '${credentialsPath()}'.\n`)
    process.stdout.write('Login Succeeded\n')
  },
}
