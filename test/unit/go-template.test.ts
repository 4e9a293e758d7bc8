// --format templates: cases from Go's text/template documentation (pkg.go.dev/text/template: the
// Actions, Arguments, Pipelines, Variables and Functions sections) and from Docker's formatting and
// networking docs, with the output Go and the docker CLI give. Data is what the API sends (JSON).
import t from 'tap'
import { execute } from '../../src/cli/format/go-template.js'
import { formatRows, render } from '../../src/cli/format/template.js'

const inspect = {
  Id: 'abc',
  Name: '/web',
  State: { Status: 'running', Running: true, ExitCode: 0 },
  Config: { Labels: { 'com.example.vendor': 'ACME', version: '1.0' }, Env: ['A=1', 'B=2'], Cmd: ['httpd-foreground'], Image: 'httpd' },
  NetworkSettings: {
    IPAddress: '172.17.0.2',
    Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null },
    Networks: { bridge: { IPAddress: '172.17.0.2', Gateway: '172.17.0.1', MacAddress: '02:42:ac:11:00:02' }, mynet: { IPAddress: '10.0.0.3', Gateway: '10.0.0.1' } },
  },
  Mounts: [],
}

const cases: [string, unknown, string][] = [
  // Docker's docs (docs.docker.com/go/formatting, docker inspect, network docs)
  ['{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', inspect, '172.17.0.210.0.0.3'],
  ['{{range $net, $cfg := .NetworkSettings.Networks}}{{$net}}={{$cfg.IPAddress}} {{end}}', inspect, 'bridge=172.17.0.2 mynet=10.0.0.3 '],
  ['{{index .Config.Labels "com.example.vendor"}}', inspect, 'ACME'],
  ['{{index .Config.Labels "missing"}}', inspect, ''],
  ['{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> {{if $conf}}{{(index $conf 0).HostPort}}{{else}}none{{end}} {{end}}', inspect, '443/tcp -> none 80/tcp -> 8080 '],
  ['{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', inspect, '8080'],
  ['{{join .Config.Env ","}}', inspect, 'A=1,B=2'],
  ['{{json .Config.Cmd}}', inspect, '["httpd-foreground"]'],
  ['{{json .Mounts}}', inspect, '[]'],
  // encoding/json: a map's keys sorted (the docker CLI prints "443/tcp" first), a struct's fields in order.
  ['{{json .NetworkSettings.Ports}}', inspect, '{"443/tcp":null,"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}'],
  ['{{json .State}}', inspect, '{"Status":"running","Running":true,"ExitCode":0}'],
  ['{{upper .State.Status}} {{lower "ABC"}} {{title "hello world"}}', inspect, 'RUNNING abc Hello World'],
  ['{{len .Config.Env}} {{len .NetworkSettings.Networks}} {{len .Name}}', inspect, '2 2 4'],
  ['{{split "a:b:c" ":"}}', {}, '[a b c]'],
  ['{{pad .Name 2 1}}|{{truncate .Id 2}}', inspect, '  /web |ab'],
  ['{{.Config.Labels}}', inspect, 'map[com.example.vendor:ACME version:1.0]'],
  ['{{println .Name}}x', inspect, '/web\nx'],
  ['{{printf "%s is %d" .Name .State.ExitCode}}', inspect, '/web is 0'],
  ['{{.State.Running}} {{.Nope}}', inspect, 'true <no value>'],
  // Go's text/template docs: pipelines, variables, comparison, control structures
  ['{{"output"}}', {}, 'output'],
  ['{{`"output"`}}', {}, '"output"'],
  ['{{printf "%q" "output"}}', {}, '"output"'],
  ['{{"output" | printf "%q"}}', {}, '"output"'],
  ['{{printf "%q" (print "out" "put")}}', {}, '"output"'],
  ['{{"put" | printf "%s%s" "out" | printf "%q"}}', {}, '"output"'],
  ['{{"output" | printf "%s" | printf "%q"}}', {}, '"output"'],
  ['{{with "output"}}{{printf "%q" .}}{{end}}', {}, '"output"'],
  ['{{with $x := "output" | printf "%q"}}{{$x}}{{end}}', {}, '"output"'],
  ['{{with $x := "output"}}{{printf "%q" $x}}{{end}}', {}, '"output"'],
  ['{{with $x := "output"}}{{$x | printf "%q"}}{{end}}', {}, '"output"'],
  ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', {}, '2'],
  ['{{23 -}} < {{- 45}}', {}, '23<45'],
  ['a{{/* a comment */}}b{{- /* trimmed */ -}} c', {}, 'abc'],
  ['{{if eq .A 1}}one{{else if eq .A 2}}two{{else}}many{{end}}', { A: 2 }, 'two'],
  ['{{if eq .S "x" "y"}}yes{{end}}', { S: 'y' }, 'yes'],
  ['{{if and .A .B}}both{{else}}not both{{end}} {{or .Z "default"}} {{and 1 0 2}}', { A: 1, B: '' }, 'not both default 0'],
  ['{{if not .L}}empty{{end}} {{if .M}}full{{end}}', { L: [], M: { a: 1 } }, 'empty full'],
  ['{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}} {{ne 1 2}}', {}, 'true true true false true'],
  ['{{range .L}}{{.}},{{else}}none{{end}}', { L: [] }, 'none'],
  ['{{range $i, $e := .L}}{{$i}}:{{$e}} {{end}}', { L: ['a', 'b'] }, '0:a 1:b '],
  ['{{range .L}}{{if eq . 3}}{{break}}{{end}}{{if eq . 1}}{{continue}}{{end}}{{.}}{{end}}', { L: [0, 1, 2, 3, 4] }, '02'],
  ['{{range .L}}{{$.Top}}{{.}} {{end}}', { Top: 'T', L: ['a', 'b'] }, 'Ta Tb '],
  ['{{with .Missing}}x{{else}}y{{end}}', {}, 'y'],
  ['{{index .L 1}} {{slice .S 1 3}} {{len (slice .L 1)}}', { L: ['a', 'b', 'c'], S: 'hello' }, 'b el 2'],
  ['{{print 1 2 "a" 3}} {{print "a" "b"}}', {}, '1 2a3 ab'],
  ['{{printf "%5d|%-5s|%05.1f|%x|%v" 42 "ab" 3.14159 255 .L}}', { L: [1, 2] }, '   42|ab   |003.1|ff|[1 2]'],
  ['{{.A.B.C}}', { A: { B: { C: 'deep' } } }, 'deep'],
  ['{{$}}', { a: 1 }, 'map[a:1]'],
  ['tab\\there\\n', {}, 'tab\there\n'],
  ['{{join .L "\\n"}}', { L: ['a', 'b'] }, 'a\nb'],
]

t.test("Go's text/template and Docker's --format examples", async (t) => {
  for (const [tmpl, data, want] of cases) t.equal(execute(tmpl, data), want, tmpl)
})

t.test('errors are Go\'s, under Docker\'s "template parsing error"', async (t) => {
  t.throws(() => render('{{nosuch .A}}', {}), { message: 'template parsing error: template: :1: function "nosuch" not defined' })
  t.throws(() => render('{{if .A}}x', {}), { message: /unexpected EOF/ })
  t.throws(() => render('{{end}}', {}), { message: /unexpected \{\{end\}\}/ })
  t.throws(() => render('{{index .L 5}}', { L: [] }), { message: /index out of range: 5/ })
  t.throws(() => render('{{$nope}}', {}), { message: /undefined variable: \$nope/ })
  t.throws(() => render('{{.A.B}}', { A: null }), { message: /nil pointer evaluating \.B/ })
})

t.test('table and row formats keep working with the full templates', async (t) => {
  const rows = [
    { Names: 'web', Labels: { a: '1' }, Ports: '80/tcp' },
    { Names: 'db', Labels: {}, Ports: '' },
  ]
  t.equal(formatRows('{{.Names}}: {{index .Labels "a"}}', rows, {}), 'web: 1\ndb: \n')
  t.equal(formatRows('table {{.Names}}\\t{{.Ports}}', rows, { Names: 'NAMES', Ports: 'PORTS' }), 'NAMES     PORTS\nweb       80/tcp\ndb\n')
  t.match(formatRows('table {{.Names}}\\t{{len .Labels}}', rows, { Names: 'NAMES' }), /\nweb +1\ndb +0\n$/)
  t.equal(formatRows('{{if .Ports}}{{.Names}} publishes {{.Ports}}{{else}}{{.Names}} publishes nothing{{end}}', rows, {}), 'web publishes 80/tcp\ndb publishes nothing\n')
})

t.test('a template of fields only (rendered without the template engine) prints what the engine prints', async (t) => {
  const rows = [
    { ID: 'ab429a48eaf2', Repository: 'busybox', Tag: 'latest', Size: '1.98MB', Odd: 'a\\tb {{.ID}} }}', Count: 3, Labels: { a: '1' }, Empty: '' },
    { ID: '0123456789ab', Repository: '<none>', Tag: '<none>', Size: '0B', Odd: '한국어 …', Count: 0, Labels: {}, Empty: '' },
  ]
  const templates = [
    '{{.ID}}',
    '{{ .Repository }}:{{.Tag}}\\t{{.Size}}\\n',
    '{{.Odd}}|{{.Empty}}|',
    'plain text, no action',
    '{{.Count}} {{.ID}}', // a number: left to the engine
    '{{.Labels}}', // a map: left to the engine
    '{{.Nope}}', // a missing field: the engine's "<no value>"
  ]
  for (const tpl of templates) {
    const byEngine = rows.map((r) => render(tpl, r) + '\n').join('')
    t.equal(formatRows(tpl, rows, {}), byEngine, tpl)
    const table = formatRows(`table ${tpl}`, rows, {})
    t.equal(
      table.split('\n').slice(1).join('\n'),
      rows.map((r) => render(tpl, r).split('\t').map((c, i, a) => (i === a.length - 1 ? c : c.padEnd(Math.max(7, ...rows.map((x) => render(tpl, x).split('\t')[i]?.length ?? 0)) + 3))).join('').trimEnd() + '\n').join(''),
      `table ${tpl}`,
    )
  }
  t.equal(
    formatRows('table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}', rows, { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID' }),
    'REPOSITORY   TAG       IMAGE ID\nbusybox      latest    ab429a48eaf2\n<none>       <none>    0123456789ab\n',
  )
})
