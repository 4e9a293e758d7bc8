// Every TockerError's code, walked: each error src/ and native-shims/ make names its failure with a
// code from the documented set (src/errors.ts: errorCodes(), or an errno name), and its HTTP status
// agrees with the code. The compiler already refuses an error without a code or with a code outside
// the set; this test reads the sources themselves for what the types cannot see (a literal status
// beside a code that has its own, a documented code nothing uses) and checks the constructor and
// the API client's mapping at run time.
import { readdirSync, readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { join, relative } from 'node:path'
import t from 'tap'
import ts from 'typescript'
import { errorFrom } from '../../src/api/client.js'
import { codeOf, codeOfStatus, errorCodes, type ErrorCode, httpStatusOf, TockerError } from '../../src/errors.js'

const repo = join(import.meta.dirname, '..', '..')

function sources(dir: string): string[] {
  return readdirSync(join(repo, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(repo, join(e.parentPath, e.name)))
}

interface Site {
  where: string
  code?: string
  status?: string
}

/** Every `new TockerError(…)` (also `new (await import(…)).TockerError(…)`) and every `super(…)` of a subclass, with its literal code and status. */
function sites(file: string, text: string): Site[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: Site[] = []
  const visit = (n: ts.Node, inSubclass: boolean): void => {
    if (ts.isClassDeclaration(n)) inSubclass = !!n.heritageClauses?.some((h) => h.types.some((ty) => /Error$/.test(ty.expression.getText())))
    const made = ts.isNewExpression(n) && /(^|\.)TockerError$/.test(n.expression.getText())
    const sup = inSubclass && ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.SuperKeyword
    if (made || sup) {
      const opts = (n as ts.NewExpression | ts.CallExpression).arguments?.[1]
      const site: Site = { where: `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}` }
      if (opts && ts.isObjectLiteralExpression(opts)) {
        for (const p of opts.properties) {
          if (!ts.isPropertyAssignment(p)) continue
          const name = p.name.getText()
          if (name === 'code' && ts.isStringLiteral(p.initializer)) site.code = p.initializer.text
          if (name === 'status' && ts.isNumericLiteral(p.initializer)) site.status = p.initializer.text
        }
      }
      found.push(site)
    }
    ts.forEachChild(n, (c) => visit(c, inSubclass))
  }
  visit(sf, false)
  return found
}

const files = [...sources('src'), ...sources('native-shims')]
const texts = new Map(files.map((f) => [f, readFileSync(join(repo, f), 'utf8')]))
const all = files.flatMap((f) => sites(f, texts.get(f)!))
const known = (code: string) => Object.hasOwn(errorCodes(), code) || Object.hasOwn(constants.errno, code)

t.test('the sources are walked: hundreds of error sites, most with a literal code', async (t) => {
  t.ok(all.length > 400, `${all.length} sites`)
  t.ok(all.filter((s) => s.code).length > 350, `${all.filter((s) => s.code).length} with a literal code`)
})

t.test('every literal code is documented (errorCodes()) or an errno name', async (t) => {
  const unknown = all.filter((s) => s.code && !known(s.code)).map((s) => `${s.where} ${s.code}`)
  t.strictSame(unknown, [])
})

t.test('a status is written only where the code has none of its own (then it cannot disagree)', async (t) => {
  const off = all.filter((s) => s.code && s.status && httpStatusOf(s.code as ErrorCode) !== undefined)
  t.strictSame(off.map((s) => `${s.where} ${s.code} status ${s.status}: the code's is ${httpStatusOf(s.code as ErrorCode)}`), [])
})

t.test('every documented code is used somewhere (the set stays small)', async (t) => {
  const table = texts.get('src/errors.ts')!
  const outside = [...texts].filter(([f]) => f !== 'src/errors.ts').map(([, text]) => text).join('\n')
  // errors.ts's own uses (codeOfStatus's fallback) count; its table lines do not.
  const own = table.replace(/^ {4}E[A-Z0-9_]+: (?:\d+|null),.*$/gm, '')
  const unused = Object.keys(errorCodes()).filter((code) => !outside.includes(`'${code}'`) && !own.includes(`'${code}'`))
  t.strictSame(unused, [])
})

t.test("a TockerError's status comes from its code", async (t) => {
  for (const [code, status] of Object.entries(errorCodes())) {
    t.equal(new TockerError('x', { code: code as ErrorCode }).status, status ?? 500, code)
  }
  t.equal(new TockerError('x', { code: 'ENOENT' }).status, 500, 'an errno name answers 500 unless the site says')
  t.equal(new TockerError('x', { code: 'ENOENT', status: 404 }).status, 404, '… and the site may say')
  t.equal(new TockerError('x', { code: 'ESTATE', status: 409 }).status, 409, "a code whose status depends on the case takes the site's")
})

t.test("the kinds and the engine's statuses map both ways; the API client names an engine's answer by its kind", async (t) => {
  for (const code of ['ENOTFOUND', 'ECONFLICT', 'EINVALID', 'EFORBIDDEN', 'ENOTIMPLEMENTED'] as const) t.equal(codeOfStatus(httpStatusOf(code)!), code)
  t.equal(codeOfStatus(500), 'EENGINE')
  t.equal(codeOfStatus(413), 'EENGINE')
  const notFound = errorFrom(404, '{"message":"No such container: web"}')
  t.match(notFound, { code: 'ENOTFOUND', status: 404, message: 'No such container: web', daemon: true })
  t.match(errorFrom(409, '{"message":"Conflict."}'), { code: 'ECONFLICT', status: 409 })
  t.match(errorFrom(500, 'plain text'), { code: 'EENGINE', status: 500, message: 'plain text' })
})

t.test("codeOf keeps an errno name or one of ours, and falls back on anything else (Node's ERR_… codes)", async (t) => {
  t.equal(codeOf(Object.assign(new TockerError('x', { code: 'EINVALID' })), 'EIO'), 'EINVALID')
  t.equal(codeOf({ code: 'ENOSPC' }, 'EIO'), 'ENOSPC')
  t.equal(codeOf({ code: 'ERR_ZLIB' }, 'EUNPACKTHREAD'), 'EUNPACKTHREAD')
  t.equal(codeOf(undefined, 'EIO'), 'EIO')
  t.equal(codeOf({ code: 'toString' }, 'EIO'), 'EIO', 'not a prototype key')
})
