// The seccomp pieces that need no root: Docker's profile format and its conversion to OCI
// linux.seccomp (includes/excludes by capability, architecture and kernel), the runtime's checks,
// the engine's and the CLI's --security-opt parsing, and the compiler helper (libseccomp) itself.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { clientSecurityOpts, compactJson } from '../../src/cli/security-opts.js'
import { applySecurityOptions, checkSecurityOptions, parseSecurityOpts, seccompProfileOf } from '../../src/engine/security-opts.js'
import { CAPABILITIES, DEFAULT_CAPABILITIES } from '../../src/runtime/caps.js'
import { defaultSpec } from '../../src/runtime/default-spec.js'
import { compileSeccomp } from '../../src/runtime/seccomp/compile.js'
import { DEFAULT_SECCOMP_PROFILE } from '../../src/runtime/seccomp/default-profile.js'
import { kernelVersion, parseDockerProfile, toLinuxSeccomp } from '../../src/runtime/seccomp/docker-profile.js'
import { checkSeccomp, compilerInput } from '../../src/runtime/seccomp/filter.js'
import type { LinuxSeccomp } from '../../src/runtime/spec.js'

/** Every syscall name a filter gives `action` (unconditionally or not). */
const namesWith = (sc: LinuxSeccomp, action: string) => new Set((sc.syscalls ?? []).filter((s) => s.action === action).flatMap((s) => s.names))
const rulesFor = (sc: LinuxSeccomp, name: string) => (sc.syscalls ?? []).filter((s) => s.names.includes(name))

t.test("the default profile for Docker's default capabilities on amd64", async (t) => {
  const sc = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: [6, 1] })!
  t.equal(sc.defaultAction, 'SCMP_ACT_ERRNO')
  t.equal(sc.defaultErrnoRet, 1)
  t.same(sc.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], 'the native arch and the ones its kernel also runs')
  const allowed = namesWith(sc, 'SCMP_ACT_ALLOW')
  for (const n of ['read', 'execve', 'clone', 'futex', 'ptrace', 'arch_prctl', 'modify_ldt', 'chroot', 'socket', 'personality', 'mseal']) t.ok(allowed.has(n), `${n} allowed`)
  for (
    const n of [
      'keyctl',
      'add_key',
      'request_key',
      'unshare',
      'setns',
      'mount',
      'umount2',
      'perf_event_open',
      'bpf',
      'userfaultfd',
      'io_uring_setup',
      'io_uring_enter',
      'reboot',
      'init_module',
      'kexec_load',
      'open_by_handle_at',
      'clone3',
      'swapon',
      'acct',
      'syslog',
    ]
  ) {
    t.notOk(allowed.has(n), `${n} not allowed`)
  }
  t.same(rulesFor(sc, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }], 'clone3 → ENOSYS')
  t.same(rulesFor(sc, 'clone'), [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }], 'clone without namespace flags only (not the s390 form)')
  t.same(rulesFor(sc, 'socket'), [{ names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, valueTwo: 0, op: 'SCMP_CMP_NE' }] }], 'socket, but not AF_VSOCK')
  t.same(rulesFor(sc, 'personality').map((r) => r.args![0].value), [0, 8, 0x20000, 0x20008, 0xffffffff])
})

t.test('capabilities open their syscalls (includes) and close the restricted forms (excludes)', async (t) => {
  const admin = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'amd64', kernel: [6, 1] })!
  const allowed = namesWith(admin, 'SCMP_ACT_ALLOW')
  for (const n of ['unshare', 'setns', 'mount', 'clone3', 'bpf', 'perf_event_open', 'sethostname']) t.ok(allowed.has(n), `CAP_SYS_ADMIN: ${n}`)
  t.same(rulesFor(admin, 'clone3').map((r) => r.action), ['SCMP_ACT_ALLOW'], 'no ENOSYS rule for clone3 with CAP_SYS_ADMIN')
  t.same(rulesFor(admin, 'clone').map((r) => r.args), [undefined], 'clone unconditionally')
  const all = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: CAPABILITIES, arch: 'amd64', kernel: [6, 1] })!
  const every = namesWith(all, 'SCMP_ACT_ALLOW')
  for (const n of ['init_module', 'reboot', 'acct', 'kcmp', 'iopl', 'settimeofday', 'vhangup', 'mbind', 'syslog', 'open_by_handle_at']) t.ok(every.has(n), `all caps: ${n}`)
  t.notOk(every.has('keyctl'), 'keyctl stays refused whatever the capabilities')
  t.notOk(every.has('io_uring_setup'), 'io_uring stays refused whatever the capabilities')
})

t.test('architectures and kernel versions select rules as Docker does', async (t) => {
  const arm = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'arm64', kernel: [6, 1] })!
  t.same(arm.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'])
  t.ok(namesWith(arm, 'SCMP_ACT_ALLOW').has('set_tls'))
  t.notOk(namesWith(arm, 'SCMP_ACT_ALLOW').has('arch_prctl'))
  const s390 = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 's390x', kernel: [6, 1] })!
  t.same(rulesFor(s390, 'clone').map((r) => r.args![0].index), [1], "s390: clone's flags are its second argument")
  const old = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: [4, 4] })!
  t.notOk(namesWith(old, 'SCMP_ACT_ALLOW').has('ptrace'), 'ptrace only from 4.8 (a filter could be bypassed with it before)')
  t.same(kernelVersion('6.18.44-fc-v1147'), [6, 18])
})

t.test('Docker profile format: special cases and errors', async (t) => {
  t.equal(toLinuxSeccomp(parseDockerProfile('{}'), { capabilities: [] }), undefined, 'an empty profile means no filter, as in Docker')
  const named = toLinuxSeccomp(parseDockerProfile('{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"name":"mkdir","action":"SCMP_ACT_ERRNO"}]}'), { capabilities: [] })!
  t.same(named, { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] }, 'the old single "name" form')
  t.throws(() => parseDockerProfile('{"defaultAction":'), /^Decoding seccomp profile failed: /)
  t.throws(() => parseDockerProfile('[]'), /must be a JSON object/)
  t.throws(() => parseDockerProfile('{"syscalls":[{"names":"read","action":"SCMP_ACT_ALLOW"}]}'), /"syscalls\[0\]\.names" must be an array of strings/)
  t.throws(() => parseDockerProfile('{"syscalls":[{"names":["read"]}]}'), /"syscalls\[0\]\.action" must be a string/)
  t.throws(() => parseDockerProfile('{"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"four"}}]}'), /invalid kernel version: "four"/)
  t.throws(
    () => toLinuxSeccomp(parseDockerProfile('{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":null}]}'), { capabilities: [] }),
    /both 'architectures' and 'archMap' are specified/,
  )
  t.throws(
    () => toLinuxSeccomp(parseDockerProfile('{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}'), { capabilities: [] }),
    /both 'name' and 'names' are specified/,
  )
})

t.test('the runtime refuses filters the kernel side could not build, naming what is wrong', async (t) => {
  const ok: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] }
  t.doesNotThrow(() => checkSeccomp(ok))
  const bad = (change: Partial<LinuxSeccomp>) => () => checkSeccomp({ ...ok, ...change })
  t.throws(bad({ defaultAction: 'SCMP_ACT_NOPE' }), /string SCMP_ACT_NOPE is not a valid action for seccomp/)
  t.throws(bad({ architectures: ['SCMP_ARCH_Z80'] }), /string SCMP_ARCH_Z80 is not a valid arch for seccomp/)
  t.throws(bad({ flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'] }), /flag SECCOMP_FILTER_FLAG_NEW_LISTENER is not supported/)
  t.throws(bad({ listenerPath: '/run/agent.sock' }), /not supported by tocker/)
  t.throws(bad({ syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] }), /names no syscall/)
  t.throws(bad({ syscalls: [{ names: ['read write'], action: 'SCMP_ACT_ALLOW' }] }), /"read write" is not a valid syscall name/)
  t.throws(bad({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 1 }] }), /errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE/)
  t.throws(bad({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }), /argument index 6 out of range/)
  t.throws(bad({ syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_LIKE' }] }] }), /SCMP_CMP_LIKE is not a valid operator/)
  t.equal(
    compilerInput({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      syscalls: [{ names: ['read', 'socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] }],
    }),
    'zSCMP_ACT_ERRNO 1\nZSCMP_ARCH_X86_64\nfSECCOMP_FILTER_FLAG_LOG\nySCMP_ACT_ALLOW - read 0 SCMP_CMP_NE 40 0\nySCMP_ACT_ALLOW - socket 0 SCMP_CMP_NE 40 0\n',
  )
})

t.test("the compiler (libseccomp): Docker's profile becomes one BPF program, compiled once per process", async (t) => {
  const sc = toLinuxSeccomp(DEFAULT_SECCOMP_PROFILE, { capabilities: DEFAULT_CAPABILITIES })!
  const c = await compileSeccomp(sc)
  t.ok(c.rules > 300, `${c.rules} rules`)
  t.ok(c.instructions > 300 && c.instructions <= 4096, `${c.instructions} BPF instructions (the kernel takes at most 4096)`)
  t.equal(c.program.length, c.instructions * 16, 'struct sock_filter is 8 bytes')
  t.equal(c.program.slice(0, 16), '2000000004000000', 'the ENOSYS stub starts: ld [4] (seccomp_data.arch)')
  const ENOSYS_RET = '0600000026000500' // ret SECCOMP_RET_ERRNO | ENOSYS
  t.ok(c.program.includes(ENOSYS_RET), 'the ENOSYS stub answers syscalls newer than the profile')
  t.equal(await compileSeccomp(structuredClone(sc)), c, 'the same filter again: the program already made')
  const unknownOnly = await compileSeccomp({ defaultAction: 'SCMP_ACT_KILL_PROCESS', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['no_such_syscall'], action: 'SCMP_ACT_ALLOW' }] })
  t.equal(unknownOnly.unknownNames, 1)
  t.notOk(unknownOnly.program.includes(ENOSYS_RET), 'no name resolves: nothing to be newer than, no stub (KILL stays KILL)')
  const permissive = await compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] })
  t.notOk(permissive.program.includes(ENOSYS_RET), 'an allow-by-default filter gets no stub (runc neither)')
  await t.rejects(
    compileSeccomp({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, {
          index: 0,
          value: 1,
          op: 'SCMP_CMP_EQ',
        }, { index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
      }],
    }),
    /seccomp: invalid argument condition/,
  )
})

t.test("engine: --security-opt as Docker's daemon reads it", async (t) => {
  t.same(parseSecurityOpts(['no-new-privileges']), { noNewPrivileges: true, labels: [] })
  t.equal(parseSecurityOpts(['no-new-privileges=false']).noNewPrivileges, false)
  t.equal(parseSecurityOpts(['no-new-privileges:true']).noNewPrivileges, true, 'the deprecated ":" separator')
  t.equal(parseSecurityOpts(['seccomp=unconfined']).seccompProfile, 'unconfined')
  t.equal(parseSecurityOpts(['apparmor=unconfined', 'label=disable']).appArmorProfile, 'unconfined')
  t.throws(() => parseSecurityOpts(['nonsense']), /^invalid --security-opt 1: "nonsense"$/)
  t.throws(() => parseSecurityOpts(['foo=bar']), /^invalid --security-opt 2: "foo=bar"$/)
  t.throws(() => parseSecurityOpts(['no-new-privileges=yes']), /^invalid --security-opt 2: "no-new-privileges=yes"$/)
  t.equal(seccompProfileOf({}), DEFAULT_SECCOMP_PROFILE)
  t.equal(seccompProfileOf({ SecurityOpt: ['seccomp=builtin'] }), DEFAULT_SECCOMP_PROFILE)
  t.equal(seccompProfileOf({ SecurityOpt: ['seccomp=unconfined'] }), undefined)
  t.equal(seccompProfileOf({ Privileged: true, SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_KILL"}'] }), undefined, 'privileged wins: no filter')
  t.throws(() => checkSecurityOptions({ SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_KIL"}'] }), /^Decoding seccomp profile failed: string SCMP_ACT_KIL is not a valid action for seccomp/)
  const spec = defaultSpec(['true'])
  applySecurityOptions(spec, { SecurityOpt: ['no-new-privileges'], MaskedPaths: [], ReadonlyPaths: [] })
  t.equal(spec.process!.noNewPrivileges, true)
  t.same([spec.linux!.maskedPaths, spec.linux!.readonlyPaths], [[], []], 'systempaths=unconfined')
  t.equal(spec.linux!.seccomp!.defaultAction, 'SCMP_ACT_ERRNO')
})

t.test("CLI: a profile file is read and sent compacted, as docker's CLI does", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-test-unit-seccomp-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'p.json')
  writeFileSync(file, '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [ { "names": ["a b"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}] } ]\n}\n')
  t.same(clientSecurityOpts([`seccomp=${file}`, 'no-new-privileges']).securityOpt, [
    'seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a b"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}',
    'no-new-privileges',
  ], 'whitespace inside strings and big numbers are kept as written')
  t.same(clientSecurityOpts(['seccomp=unconfined', 'seccomp=builtin']).securityOpt, ['seccomp=unconfined', 'seccomp=builtin'])
  t.same(clientSecurityOpts(['systempaths=unconfined']), { securityOpt: [], maskedPaths: [], readonlyPaths: [] })
  t.throws(() => clientSecurityOpts(['apparmor']), /^Invalid --security-opt: "apparmor"$/)
  t.throws(() => clientSecurityOpts(['seccomp=']), /^Invalid --security-opt: "seccomp="$/)
  t.throws(() => clientSecurityOpts([`seccomp=${dir}/none.json`]), new RegExp(`^opening seccomp profile \\(${dir}/none.json\\) failed: open ${dir}/none.json: no such file or directory$`))
  writeFileSync(file, '{"defaultAction": SCMP}')
  t.throws(() => clientSecurityOpts([`seccomp=${file}`]), /^compacting json for seccomp profile \(.*\) failed: /)
  t.equal(compactJson(' [ 1 , "x \\" y" ] '), '[1,"x \\" y"]')
})
