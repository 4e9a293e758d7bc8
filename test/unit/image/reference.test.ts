// Image references are parsed as Docker parses them. The expected errors were checked against the
// Docker CLI 28 (`docker pull X` prints the reference error before contacting any daemon).
import t from 'tap'
import { TockerError } from '../../../src/errors.js'
import { familiarName, familiarString, fullName, fullString, parseReference, withDefaultTag } from '../../../src/image/reference.js'

const D = 'sha256:' + 'a'.repeat(64)

t.test('normalises names like Docker', async (t) => {
  const cases: [string, string, string, string][] = [
    // input, fullString(withDefaultTag), familiarName, familiarString(withDefaultTag)
    ['busybox', 'docker.io/library/busybox:latest', 'busybox', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox', 'busybox:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox', 'busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox', 'busybox:latest'],
    ['lab/tools/busybox:1.35', 'docker.io/lab/tools/busybox:1.35', 'lab/tools/busybox', 'lab/tools/busybox:1.35'],
    ['127.0.0.1:5000/x/y:tag', '127.0.0.1:5000/x/y:tag', '127.0.0.1:5000/x/y', '127.0.0.1:5000/x/y:tag'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x', 'localhost/x:latest'],
    ['localhost:5000', 'docker.io/library/localhost:5000', 'localhost', 'localhost:5000'],
    ['ghcr.io/a-b/c__d/e.f', 'ghcr.io/a-b/c__d/e.f:latest', 'ghcr.io/a-b/c__d/e.f', 'ghcr.io/a-b/c__d/e.f:latest'],
    ['Lab/x', 'Lab/x:latest', 'Lab/x', 'Lab/x:latest'],
    ['[::1]:5000/x', '[::1]:5000/x:latest', '[::1]:5000/x', '[::1]:5000/x:latest'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, 'busybox', `busybox@${D}`],
    [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`, 'busybox', `busybox:1.36@${D}`],
    ['busybox:_x', 'docker.io/library/busybox:_x', 'busybox', 'busybox:_x'],
  ]
  for (const [input, full, famName, famString] of cases) {
    const ref = parseReference(input)
    const tagged = withDefaultTag(ref)
    t.equal(fullString(tagged), full, `${input} → ${full}`)
    t.equal(familiarName(ref), famName, `familiar name of ${input}`)
    t.equal(familiarString(tagged), famString, `familiar string of ${input}`)
  }
  t.strictSame(parseReference('127.0.0.1:5000/x/y:tag'), { domain: '127.0.0.1:5000', path: 'x/y', tag: 'tag' })
  t.equal(fullName(parseReference('busybox')), 'docker.io/library/busybox')
  t.equal(parseReference('busybox').tag, undefined, 'no tag is added by parsing itself')
  t.equal(withDefaultTag(parseReference(`busybox@${D}`)).tag, undefined, 'a digest reference gets no default tag')
})

t.test("rejects bad references with Docker's messages", async (t) => {
  const a = (n: number) => 'a'.repeat(n)
  const cases: [string, string][] = [
    ['UPPER', 'invalid reference format: repository name (library/UPPER) must be lowercase'],
    ['localhost:5000/UP', 'invalid reference format: repository name (UP) must be lowercase'],
    ['busybox:bad!tag', 'invalid reference format'],
    ['busybox:', 'invalid reference format'],
    ['busybox:.x', 'invalid reference format'],
    ['busybox:-x', 'invalid reference format'],
    [`busybox:${a(129)}`, 'invalid reference format'],
    ['', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['a___b', 'invalid reference format'],
    ['a-', 'invalid reference format'],
    ['busybox@sha256:abc', 'invalid reference format'],
    [a(255), 'repository name must not be more than 255 characters'],
    [`library/${a(248)}`, 'repository name must not be more than 255 characters'],
    [`busybox@sha256:${a(63)}`, 'invalid checksum digest length'],
    [`busybox@sha512:${a(64)}`, 'invalid checksum digest length'],
    [`ubuntu@sha256:${'A'.repeat(64)}`, 'invalid checksum digest format'],
    [`ubuntu@unknown:${a(64)}`, 'unsupported digest algorithm'],
    ['0'.repeat(64), `invalid repository name (${'0'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
  ]
  for (const [input, message] of cases) {
    let caught: unknown
    try {
      parseReference(input)
    } catch (err) {
      caught = err
    }
    t.ok(caught instanceof TockerError, `${input.slice(0, 40)} is refused with a TockerError`)
    t.equal((caught as Error | undefined)?.message, message, `${input.slice(0, 40)} → ${message}`)
  }
})

t.test('accepts the longest names Docker accepts', async (t) => {
  t.equal(parseReference(`library/${'a'.repeat(247)}`).path.length, 255)
  t.equal(parseReference(`x.io/${'a'.repeat(251)}`).path.length, 251, 'the limit applies to the path, not the host')
  t.equal(parseReference(`busybox:${'a'.repeat(128)}`).tag?.length, 128)
})
