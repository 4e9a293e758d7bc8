// The runtime's pure parts and its in-root path resolution, without starting containers.
import t from 'tap'
import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { capabilityMask, capabilityNames, DEFAULT_CAPABILITIES } from '../../../src/runtime/caps.js'
import { mergeEnv } from '../../../src/runtime/env.js'
import { allowsDevices, parseMountOptions } from '../../../src/runtime/mount-options.js'
import { forcesNodev } from '../../../src/runtime/device-policy.js'
import { parseOverlay } from '../../../src/runtime/bundle.js'
import { encodeProcess } from '../../../src/runtime/process-spec.js'
import { RootDir } from '../../../src/runtime/root-dir.js'
import { parseSignal } from '../../../src/sys/signals.js'
import { resolveUser } from '../../../src/runtime/user.js'
import { clearVolatileMark, commonDirectory, MOUNT_DATA_MAX, overlayOptions, planOverlayMount } from '../../../src/runtime/overlay.js'
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, MS_SLAVE } from '../../../src/sys/mount.js'
import { removeDir, tempDir } from '../../helpers/bundle.js'

t.test('mount options become flags, propagation and data, as runc parses them', async (t) => {
  t.same(parseMountOptions(['nosuid', 'noexec', 'nodev', 'ro']), { flags: MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, propagation: 0, data: '' })
  t.same(parseMountOptions(['rbind', 'rw', 'rslave']), { flags: MS_BIND | MS_REC, propagation: MS_SLAVE | MS_REC, data: '' })
  t.same(parseMountOptions(['ro', 'rw', 'mode=755', 'size=65536k', 'tmpcopyup']), { flags: 0, propagation: 0, data: 'mode=755,size=65536k' })
})

t.test('device policy: nodev unless the options say "dev" last; devpts keeps its ptys', async (t) => {
  t.equal(allowsDevices(['rbind', 'rw']), false, 'no word: nodev')
  t.equal(allowsDevices(['rbind', 'dev']), true)
  t.equal(allowsDevices(['dev', 'nodev']), false, 'the last word wins')
  t.equal(allowsDevices(['nodev', 'dev']), true)
  t.equal(forcesNodev('tmpfs', false), true)
  t.equal(forcesNodev('tmpfs', true), false)
  t.equal(forcesNodev('devpts', false), false)
})

t.test("Docker's default capabilities are bits 0-31 a80425fb", async (t) => {
  t.equal(capabilityMask(DEFAULT_CAPABILITIES), 0xa80425fbn)
  t.equal(capabilityMask(['NET_RAW', 'cap_chown']), (1n << 13n) | 1n)
  t.same(capabilityNames(0x3n), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE'])
  t.throws(() => capabilityMask(['CAP_FLY']), /unknown capability "CAP_FLY"/)
})

t.test("users: names and numbers from the container's passwd and group files", async (t) => {
  const files: Record<string, string> = {
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nweb:x:33:33:www:/var/www:/bin/false\n# comment\n',
    '/etc/group': 'root:x:0:\nweb:x:33:\nadm:x:4:web,other\nstaff:x:50:web\n',
  }
  const read = (p: string): string | undefined => files[p]
  t.same(resolveUser({ uid: 0, gid: 0, username: 'web' }, read), { uid: 33, gid: 33, groups: [4, 50], home: '/var/www' })
  t.same(resolveUser({ uid: 0, gid: 0, username: 'web:adm' }, read), { uid: 33, gid: 4, groups: [50], home: '/var/www' })
  t.same(resolveUser({ uid: 0, gid: 0, username: '1234:5678' }, read), { uid: 1234, gid: 5678, groups: [], home: '/' })
  t.same(resolveUser({ uid: 33, gid: 7, additionalGids: [9] }, read), { uid: 33, gid: 7, groups: [9], home: '/var/www' })
  t.throws(() => resolveUser({ uid: 0, gid: 0, username: 'nobody' }, read), /unable to find user nobody: no matching entries in passwd file/)
  t.throws(() => resolveUser({ uid: 0, gid: 0, username: 'web:nogroup' }, read), /unable to find group nogroup: no matching entries in group file/)
  t.same(resolveUser({ uid: 0, gid: 0, username: '0' }, () => undefined), { uid: 0, gid: 0, groups: [], home: '/' }, 'no /etc/passwd at all is fine for numbers')
})

t.test('the process spec the gate reads: tagged, NUL-terminated fields', async (t) => {
  const buf = encodeProcess(
    { args: ['sh', '-c', 'x'], env: ['A=1'], cwd: '/w', user: { uid: 1, gid: 2, umask: 0o22 }, capabilities: { bounding: ['CAP_KILL'] }, noNewPrivileges: true, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: -1 }] },
    { uid: 1, gid: 2, groups: [3], home: '/h' },
  )
  t.equal(
    buf.toString().split('\0').join('|'),
    'ash|a-c|ax|eA=1|eHOME=/h|c/w|u1|g2|G3|m22|n1|B20|E0|P0|I0|A0|r7 10 18446744073709551615|',
  )
  t.throws(() => encodeProcess({ args: ['a\0b'], cwd: '/', user: { uid: 0, gid: 0 } }, { uid: 0, gid: 0, groups: [], home: '/' }), /NUL byte/)
})

t.test('overlay annotation: checked, and turned into overlayfs options', async (t) => {
  const o = parseOverlay(JSON.stringify({ lowerdir: ['/l/top', '/l/bottom'], upperdir: '/u', workdir: '/w' }))!
  t.equal(overlayOptions(o), 'lowerdir=/l/top:/l/bottom,upperdir=/u,workdir=/w')
  t.equal(overlayOptions({ lowerdir: ['/a', '/b'] }), 'lowerdir=/a:/b', 'read-only without upperdir')
  t.equal(overlayOptions({ ...o, volatile: true }), 'lowerdir=/l/top:/l/bottom,upperdir=/u,workdir=/w,volatile', 'volatile: a writable layer nobody keeps')
  t.equal(overlayOptions({ lowerdir: ['/a'], volatile: true }), 'lowerdir=/a', 'nothing to sync without upperdir')
  t.equal(parseOverlay(JSON.stringify({ lowerdir: ['/a'], upperdir: '/u', workdir: '/w', volatile: true }))!.volatile, true)
  t.throws(() => parseOverlay(JSON.stringify({ lowerdir: ['/a'], upperdir: '/u', workdir: '/w', volatile: 'yes' })), /volatile must be true or false/)
  t.throws(() => parseOverlay('{'), /not valid JSON/)
  t.throws(() => parseOverlay(JSON.stringify({ lowerdir: [] })), /at least one/)
  t.throws(() => parseOverlay(JSON.stringify({ lowerdir: ['/a'], upperdir: '/u' })), /upperdir and workdir go together/)
  t.throws(() => parseOverlay(JSON.stringify({ lowerdir: ['/a:b'] })), /overlayfs cannot take/)
  t.throws(() => parseOverlay(JSON.stringify({ lowerdir: ['rel'] })), /not an absolute path/)
})

t.test('a workdir a volatile mount left is cleared, and mounted volatile again (overlayfs allows no other way)', async (t) => {
  const dir = tempDir('volatile')
  t.teardown(() => removeDir(dir))
  const o = { lowerdir: ['/l'], upperdir: join(dir, 'upper'), workdir: join(dir, 'work') }
  t.equal(clearVolatileMark(o), o, 'no mark: unchanged')
  mkdirSync(join(dir, 'work', 'work', 'incompat', 'volatile'), { recursive: true })
  writeFileSync(join(dir, 'work', 'work', 'incompat', 'volatile', 'dirty'), '')
  t.same(clearVolatileMark(o), { ...o, volatile: true })
  t.notOk(existsSync(join(dir, 'work', 'work', 'incompat', 'volatile')), 'the mark is gone')
  t.ok(existsSync(join(dir, 'work', 'work', 'incompat')))
  t.equal(clearVolatileMark({ lowerdir: ['/l'] }).volatile, undefined, 'read-only: no workdir')
})

t.test("overlay of many layers: relative to the links' directory once absolute paths exceed a page", async (t) => {
  const upper = { upperdir: '/var/lib/tocker/containers/' + 'c'.repeat(64) + '/upper', workdir: '/var/lib/tocker/containers/' + 'c'.repeat(64) + '/work' }
  const links = (n: number) => Array.from({ length: n }, (_, i) => `/var/lib/tocker/layers/l/${String(i).padStart(26, 'A')}`)
  const few = planOverlayMount({ lowerdir: links(3), ...upper })
  t.equal(few.cwd, undefined, 'absolute paths when they fit')
  t.equal(few.data, overlayOptions({ lowerdir: links(3), ...upper }))
  const many = planOverlayMount({ lowerdir: links(125), ...upper })
  t.equal(many.cwd, '/var/lib/tocker/layers/l')
  t.ok(many.data.startsWith(`lowerdir=${'0'.padStart(26, 'A')}:${'1'.padStart(26, 'A')}:`))
  t.ok(Buffer.byteLength(many.data) <= MOUNT_DATA_MAX, `${Buffer.byteLength(many.data)} bytes fit in a page`)
  t.match(many.shown, /:…120 more…:.*\(125 layers, relative to the cwd \/var\/lib\/tocker\/layers\/l\)$/)
  t.throws(() => planOverlayMount({ lowerdir: links(160), ...upper }), { code: 'ETOOMANYLAYERS', message: /160 layers need \d+ bytes of mount options, the kernel takes 4095/ })
  const old = Array.from({ length: 45 }, (_, i) => `/var/lib/tocker/layers/${String(i).padStart(64, 'a')}/diff`)
  t.equal(planOverlayMount({ lowerdir: old, ...upper }).cwd, '/var/lib/tocker/layers', 'directories of an older record: relative to their common parent')
  t.equal(commonDirectory(['/a/b/c', '/a/b/d/e']), '/a/b')
  t.equal(commonDirectory(['/a/bc', '/a/b/d']), '/a')
  t.equal(commonDirectory(['/x/y', '/z']), '/')
})

t.test('signals and environments', async (t) => {
  t.equal(parseSignal('KILL'), 9)
  t.equal(parseSignal('SIGTERM'), 15)
  t.equal(parseSignal('hup'), 1)
  t.equal(parseSignal('10'), 10)
  t.throws(() => parseSignal('NOPE'), /Invalid signal: NOPE/)
  t.same(mergeEnv(['PATH=/bin', 'A=1'], ['A=2', 'B=3']), ['PATH=/bin', 'A=2', 'B=3'])
  t.same(mergeEnv(['A=1', 'PATH=/bin'], ['A=2']), ['A=2', 'PATH=/bin'], 'replaced in place, as Docker does')
})

t.test('RootDir resolves every path inside the root, symlinks and ".." included', async (t) => {
  const work = tempDir('rootdir')
  t.teardown(() => removeDir(work))
  const root = join(work, 'root')
  const outside = join(work, 'outside')
  mkdirSync(join(root, 'etc'), { recursive: true })
  mkdirSync(outside)
  symlinkSync(outside, join(root, 'abs')) // absolute: means <root><outside>
  symlinkSync('../../../../outside', join(root, 'rel')) // climbs past the root: stops at it
  symlinkSync('/nowhere/deeper', join(root, 'dangling'))
  symlinkSync('/etc', join(root, 'etclink'))
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n')
  symlinkSync('/etc/passwd', join(root, 'etc/passwd-link'))
  symlinkSync(join(outside, 'secret'), join(root, 'etc/shadow'))
  writeFileSync(join(outside, 'secret'), 'host secret\n')

  const rd = RootDir.open(root)
  t.teardown(() => rd.close())
  rd.mkdirAll('/abs/sub')
  t.ok(existsSync(join(root, outside, 'sub')), 'an absolute link is followed inside the root')
  t.notOk(existsSync(join(outside, 'sub')), '… and not on the host')
  rd.mkdirAll('/rel/x')
  t.ok(existsSync(join(root, 'outside/x')), '".." stops at the root')
  rd.mkdirAll('/dangling/a/b')
  t.ok(existsSync(join(root, 'nowhere/deeper/a/b')), 'a dangling link: its target is made inside the root')
  t.ok(lstatSync(join(root, 'dangling')).isSymbolicLink(), 'the link itself stays')
  t.equal(readlinkSync(`/proc/self/fd/${rd.mkdirAll('/etclink')}`), join(root, 'etc'))
  rd.ensureFile('/abs/file')
  t.ok(existsSync(join(root, outside, 'file')))
  t.notOk(existsSync(join(outside, 'file')))
  t.equal(rd.readFile('/etc/passwd-link'), 'root:x:0:0::/:/bin/sh\n')
  t.equal(rd.readFile('/etc/shadow'), undefined, 'a link to a host file reads as missing, not as the host file')
  t.equal(rd.readFile('/missing'), undefined)
})
