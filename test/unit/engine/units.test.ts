// The engine's and CLI's pure parts: names, argument splitting, ps formatting, templates, statuses,
// the json-file reader.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { compileTable, parseWith } from '../../../src/cli/parse.js'
import { CREATE_OPTIONS, RUN_OPTIONS, parseBytes } from '../../../src/cli/container-options.js'
import { ellipsis, formatPorts, formatPs } from '../../../src/cli/format/ps.js'
import { formatRows, render } from '../../../src/cli/format/template.js'
import { parseTimeArg } from '../../../src/cli/commands/logs.js'
import { generateName, normalizeName } from '../../../src/engine/names.js'
import { newContainerId, shortId } from '../../../src/engine/ids.js'
import { readLogEntries, logTimeSeconds } from '../../../src/engine/logs.js'
import { statusText } from '../../../src/engine/status.js'
import { emptyState } from '../../../src/engine/state.js'
import { isSameProcess, processStartTime } from '../../../src/sys/proc-stat.js'
import { parseSignal } from '../../../src/sys/signals.js'

t.test('ids and names', async (t) => {
  const id = newContainerId()
  t.match(id, /^[0-9a-f]{64}$/)
  t.equal(shortId(id), id.slice(0, 12))
  t.match(generateName(), /^[a-z]+_[a-z]+$/)
  t.equal(normalizeName('/web'), 'web')
  t.throws(() => normalizeName('-bad'), /Invalid container name \(-bad\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/)
  t.throws(() => normalizeName('a'), /Invalid container name/)
})

t.test('everything after the image is the container command', async (t) => {
  const run = compileTable(RUN_OPTIONS)
  const r = parseWith(run, ['-dit', '--name=web', '-e', 'A=1', '-eB=2', '-p', '8080:80', 'busybox', 'top', '-d', '1'], { interspersed: false })
  t.same(r.opts, { detach: true, interactive: true, tty: true, name: 'web', env: ['A=1', 'B=2'], publish: ['8080:80'] })
  t.same(r.args, ['busybox', 'top', '-d', '1'])
  t.same(parseWith(compileTable(CREATE_OPTIONS), ['--rm', 'busybox', 'ls', '-l'], { interspersed: false }).args, ['busybox', 'ls', '-l'])
  t.throws(() => parseWith(run, ['--bogus', 'x'], { interspersed: false }), /unknown flag: --bogus/)
  t.equal(parseBytes('64m', '--memory'), 64 * 1024 * 1024)
  t.equal(parseBytes('1g', '--memory'), 1024 ** 3)
})

t.test('ps looks like docker ps', async (t) => {
  t.equal(ellipsis('httpd-foreground', 20), 'httpd-foreground')
  t.equal(ellipsis('docker-entrypoint.sh mysqld', 20), 'docker-entrypoint.s…')
  t.equal(formatPorts([{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8081, Type: 'tcp' }, { PrivatePort: 443, Type: 'tcp' }]), '0.0.0.0:8081->80/tcp, 443/tcp')
  const now = Date.now()
  const c = {
    Id: 'a'.repeat(64),
    Names: ['/ws2'],
    Image: 'httpd',
    ImageID: 'sha256:' + 'b'.repeat(64),
    Command: 'httpd-foreground',
    Created: Math.floor(now / 1000) - 300,
    Ports: [],
    Labels: {},
    State: 'running' as const,
    Status: 'Up 5 minutes',
    HostConfig: { NetworkMode: 'default' },
    Mounts: [],
  }
  const out = await formatPs([c], {})
  t.match(out, /^CONTAINER ID   IMAGE     COMMAND              CREATED         STATUS         PORTS     NAMES\n/)
  t.match(out, /aaaaaaaaaaaa   httpd     "httpd-foreground"   5 minutes ago   Up 5 minutes             ws2\n$/)
  t.equal(await formatPs([c], { quiet: true }), 'aaaaaaaaaaaa\n')
  t.equal(await formatPs([c], { format: '{{.ID}} {{.Names}} {{.Status}}' }), 'aaaaaaaaaaaa ws2 Up 5 minutes\n')
  t.equal(await formatPs([c], { format: 'table {{.Names}}\\t{{.Image}}' }), 'NAMES     IMAGE\nws2       httpd\n')
  t.equal(render('{{.State.Status}} {{json .Config.Cmd}}', { State: { Status: 'exited' }, Config: { Cmd: ['sh'] } }), 'exited ["sh"]')
  t.equal(formatRows('{{.A}}', [{ A: 1 }, { A: 2 }], {}), '1\n2\n')
})

t.test('statuses read like Docker', async (t) => {
  const now = Date.now()
  const s = emptyState()
  t.equal(statusText(s, now), 'Created')
  t.equal(statusText({ ...s, Status: 'running', Running: true, StartedAt: new Date(now - 3 * 60_000).toISOString() }, now), 'Up 3 minutes')
  t.equal(statusText({ ...s, Status: 'exited', ExitCode: 137, FinishedAt: new Date(now - 2 * 3600_000).toISOString() }, now), 'Exited (137) 2 hours ago')
})

t.test('signals, times, process identity', async (t) => {
  t.equal(parseSignal('TERM'), 15)
  t.equal(parseSignal('sigkill'), 9)
  t.equal(parseSignal('2'), 2)
  t.throws(() => parseSignal('NOPE'), /Invalid signal: NOPE/)
  t.equal(logTimeSeconds('2026-01-01T00:00:01.5Z'), Date.parse('2026-01-01T00:00:01Z') / 1000 + 0.5)
  t.ok(Math.abs(parseTimeArg('10m') - (Date.now() / 1000 - 600)) < 2)
  t.equal(parseTimeArg('1700000000'), 1700000000)
  const st = processStartTime(process.pid)
  t.ok(st && st > 0)
  t.ok(isSameProcess({ pid: process.pid, startTime: st! }))
  t.notOk(isSameProcess({ pid: process.pid, startTime: st! + 1 }), 'a recycled pid has another start time')
})

t.test('json-file reader: rotated files in order, tail, since, streams', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tocker-logs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'x-json.log')
  const line = (log: string, stream: string, time: string) => JSON.stringify({ log, stream, time }) + '\n'
  writeFileSync(`${path}.1`, line('one\n', 'stdout', '2026-01-01T00:00:01Z') + line('two\n', 'stderr', '2026-01-01T00:00:02Z'))
  writeFileSync(path, line('three\n', 'stdout', '2026-01-01T00:00:03.5Z') + line('par', 'stdout', '2026-01-01T00:00:04Z') + line('tial\n', 'stdout', '2026-01-01T00:00:04.1Z') + '{"log":"torn')
  const all = await readLogEntries(path, { stdout: true, stderr: true })
  t.same(all.map((e) => e.log).join(''), 'one\ntwo\nthree\npartial\n')
  t.same((await readLogEntries(path, { stdout: true, stderr: false })).map((e) => e.log), ['one\n', 'three\n', 'par', 'tial\n'])
  t.same((await readLogEntries(path, { stdout: true, stderr: true, tail: 2 })).map((e) => e.log), ['par', 'tial\n'])
  t.same((await readLogEntries(path, { stdout: true, stderr: true, since: Date.parse('2026-01-01T00:00:03Z') / 1000 })).length, 3)
  t.same(await readLogEntries(path, { stdout: true, stderr: true, tail: 0 }), [])
})
