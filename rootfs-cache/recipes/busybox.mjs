// The busybox image: Debian's static busybox with a link for every applet, and the few files a
// shell-only image needs (users, groups, the usual top-level directories), laid out like Docker Hub's
// busybox image so the tutorials' commands behave the same.
import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const BUSYBOX_IMAGE = 'docker.io/library/busybox:latest'

export const BUSYBOX_CONFIG = {
  Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
  Cmd: ['sh'],
}

// Same accounts as the official image (buildroot's), with www-data for web servers.
const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
tty:x:5:
wheel:x:10:root
www-data:x:33:
users:x:100:
nogroup:x:65533:
nobody:x:65534:
`

/**
 * Tar entries of the busybox layer.
 * @param {string} busybox path of the static busybox binary on the host (from the .deb)
 * @param {number} mtime   SOURCE_DATE_EPOCH
 */
export async function busyboxLayerEntries(busybox, mtime) {
  const dir = (path, mode = 0o755) => ({ path, type: 'dir', mode, mtime })
  const file = (path, data, mode = 0o644) => ({ path, type: 'file', mode, data, mtime })
  // `busybox --list-full` says where each applet traditionally lives: bin/, sbin/, usr/bin/, usr/sbin/.
  // Like the official image we keep them out of /usr: user commands in /bin, admin ones in /sbin.
  const { stdout } = await run(busybox, ['--list-full'])
  const links = new Map()
  for (const full of stdout.split('\n').filter(Boolean)) {
    const name = full.split('/').pop()
    if (name === 'linuxrc' || name === 'busybox') continue
    const where = /(^|\/)sbin\//.test(full) ? 'sbin' : 'bin'
    links.set(`${where}/${name}`, where === 'bin' ? 'busybox' : '../bin/busybox')
  }
  const size = (await stat(busybox)).size
  return [
    dir('bin'),
    { path: 'bin/busybox', type: 'file', mode: 0o755, sourceFile: busybox, size, mtime },
    ...[...links].filter(([p]) => p.startsWith('bin/')).map(([path, linkname]) => ({ path, type: 'symlink', mode: 0o777, linkname, mtime })),
    dir('dev'),
    dir('etc'),
    file('etc/group', GROUP),
    file('etc/passwd', PASSWD),
    dir('home'),
    dir('proc'),
    dir('root', 0o700),
    dir('sbin'),
    ...[...links].filter(([p]) => p.startsWith('sbin/')).map(([path, linkname]) => ({ path, type: 'symlink', mode: 0o777, linkname, mtime })),
    dir('sys'),
    dir('tmp', 0o1777),
    dir('usr'),
    dir('usr/bin'),
    dir('usr/sbin'),
    dir('var'),
    dir('var/www'),
  ]
}
