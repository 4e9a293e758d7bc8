// The set-up user-networks.test.ts and user-networks-edges.test.ts share (import it after the
// network sandbox is entered): a registry with busybox and httpd, an engine that has pulled them,
// and the host-side views the tests compare (links, iptables rules) plus a throw-away container on a network.
import { execFileSync } from 'node:child_process'
import { engineTestBed } from '../engine/harness.js'

export async function userNetworksBed(prefix: string) {
  const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd'], prefix)
  const BUSYBOX = ref('busybox')
  const HTTPD = ref('httpd')
  try {
    await env.ok(['pull', '-q', BUSYBOX])
    await env.ok(['pull', '-q', HTTPD])
  } catch (err) {
    await cleanup()
    throw err
  }
  const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' })
  return {
    env,
    cleanup,
    BUSYBOX,
    HTTPD,
    sh,
    /** The link names in this network namespace. */
    links: () => sh('ip', ['-o', 'link']).split('\n').map((l) => l.split(': ')[1]?.split('@')[0]).filter(Boolean) as string[],
    /** The rules, without iptables-save's dated comment lines. */
    rules: () => (sh('iptables-save', []) + sh('iptables-save', ['-t', 'nat'])).split('\n').filter((l) => !l.startsWith('#')).join('\n'),
    /** Run a command in a throw-away busybox container on `net`; its output and exit code. */
    inNet: (net: string, script: string, extra: string[] = []) => env.tocker(['run', '--rm', '--network', net, ...extra, BUSYBOX, 'sh', '-c', script]),
  }
}
