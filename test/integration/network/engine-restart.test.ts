// Issue 5's restart case through the real engine: containers with published ports keep serving
// while the engine is killed with SIGKILL and after it comes back; the new engine's reconcile adds
// no duplicate rule and leaves no orphan; rm -f then removes every link, address and rule.
// Runs inside a network namespace this test makes (never the host's).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { execFileSync } = await import('node:child_process')
const { setTimeout: sleep } = await import('node:timers/promises')
const { engineTestBed } = await import('../engine/harness.js')

const { env, ref, cleanup } = await engineTestBed(['httpd'], 'tocker-test-netrestart-')
const HTTPD = ref('httpd')
t.teardown(cleanup)
await env.ok(['pull', HTTPD])

const iptablesRules = () =>
  (execFileSync('iptables-save', { encoding: 'utf8' }) as string)
    .split('\n')
    .filter((l) => /TOCKER|tocker/.test(l) && l.startsWith('-A'))
const tockerLinks = () =>
  (execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }) as string)
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0])
    .filter((n): n is string => !!n && /^veth/.test(n))

async function page(port: number): Promise<string | undefined> {
  for (let i = 0; i < 50; i++) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) })).text()
    } catch {
      await sleep(100)
    }
  }
  return undefined
}

t.test('published ports survive kill -9 of the engine; the restart adds no duplicate rule', async (t) => {
  await env.ok(['run', '-d', '--name', 'web1', '-p', '18091:80', HTTPD])
  await env.ok(['run', '-d', '--name', 'web2', '-p', '18092:80', HTTPD])
  t.match(await page(18091), 'It works!', 'web1 answers on 127.0.0.1:18091')
  t.match(await page(18092), 'It works!', 'web2 answers on 127.0.0.1:18092')
  const rulesBefore = iptablesRules()
  const linksBefore = tockerLinks()
  t.equal(linksBefore.length, 2, 'one host-side veth per container')

  await env.stopEngine('SIGKILL')
  t.match(await page(18091), 'It works!', 'the port still works while no engine runs (the kernel forwards it)')

  await env.startEngine()
  t.match(await env.ok(['ps', '--format', '{{.Names}} {{.Ports}}']), /web1 0\.0\.0\.0:18091->80\/tcp/)
  t.match(await page(18092), 'It works!', 'web2 still answers after the restart')
  t.same(iptablesRules().sort(), rulesBefore.sort(), 'the same rules, none duplicated, none lost')
  t.same(tockerLinks().sort(), linksBefore.sort(), 'the same veths')

  await env.ok(['rm', '-f', 'web1', 'web2'])
  t.same(tockerLinks(), [], 'rm -f removed both veths')
  t.same(iptablesRules().filter((r) => /tocker:/.test(r)), [], 'no per-container rule is left')
  const again = await env.tocker(['run', '-d', '--name', 'web3', '-p', '18091:80', HTTPD])
  t.equal(again.code, 0, `the released host port can be published again: ${again.stderr}`)
  await env.ok(['rm', '-f', 'web3'])
})
