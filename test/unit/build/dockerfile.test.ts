// The Dockerfile's syntax and its variable substitution, without root: directives, continuations,
// comments, every instruction's argument rule, Docker's parse errors (with the line), and the shell
// lexer's quoting and ${…} forms (BuildKit's semantics, Korean text included).
import t from 'tap'
import { extractBuilderFlags, parseWords } from '../../../src/engine/build/dockerfile/arguments.js'
import { DockerfileParseError, parseDockerfile } from '../../../src/engine/build/dockerfile/parser.js'
import { parseInstructions, parseGoDuration, type Instruction } from '../../../src/engine/build/dockerfile/instructions.js'
import { envMap, Lexer } from '../../../src/engine/build/dockerfile/lexer.js'

const parse = (text: string) => parseInstructions(parseDockerfile(text))
const errorOf = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    return (err as Error).message
  }
  return '(no error)'
}

t.test('lines: continuations, comments inside them, CRLF, BOM, blank lines', async (t) => {
  const df = parseDockerfile('\uFEFFFROM busybox\r\n\r\nRUN echo a \\\r\n    # a comment in the middle\r\n    b \\\n\n  c\n# tail\n')
  t.equal(df.nodes.length, 2)
  t.equal(df.nodes[1].original, 'RUN echo a     b   c', 'joined as written: the escape and the newline go, leading blanks of later lines stay')
  t.same(df.nodes[1].args, ['echo a     b   c'])
  t.equal(df.nodes[1].startLine, 3)
  t.equal(df.nodes[1].endLine, 7)
  t.match(df.warnings[0], /Empty continuation line found in/)
  t.equal(parseDockerfile('RUN a \\\\\nFROM x').nodes.length, 2, 'an escaped escape at the end is no continuation')
  t.equal(parseDockerfile('RUN echo x  #  not a comment').nodes[0].args[0], 'echo x  #  not a comment')
})

t.test('parser directives: escape, syntax, where they count', async (t) => {
  const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM busybox\nRUN echo C:\\ `\n  done\n')
  t.equal(df.escapeToken, '`')
  t.equal(df.nodes[1].args[0], 'echo C:\\   done')
  t.equal(parseDockerfile('# comment\n# escape=`\nFROM x\nRUN a `\nb').nodes.length, 3, 'after a comment, no directive: ` is plain')
  t.equal(parseDockerfile('\n# escape=`\nFROM x').escapeToken, '\\', 'after a blank line, no directive')
  t.equal(parseDockerfile('  # ESCAPE = `\nFROM x').escapeToken, '`', 'leading blanks and any case')
  t.equal(errorOf(() => parseDockerfile('# escape=`\n# escape=\\\nFROM x')), 'dockerfile parse error on line 2: only one escape parser directive can be used')
  t.equal(errorOf(() => parseDockerfile('# escape=x\nFROM x')), "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\")
  t.equal(errorOf(() => parseDockerfile('# only a comment\n\n')), 'dockerfile parse error on line 2: file with no instructions')
})

t.test('argument rules: JSON or shell form, words, name=value pairs, flags', async (t) => {
  const [run, cmd, bad, copy, env, label, env2, arg, hc, onbuild] = parseDockerfile(
    [
      'RUN ["echo", "hi there"]',
      "CMD ['single', 'quotes']",
      'ENTRYPOINT ["a", 1]x',
      'COPY --from=build --chown="1:1" a b /dst/',
      'ENV A="x y" B=z\\ w C=\'q r\'',
      'LABEL version="1.0" "com.example.key"=v',
      'ENV OLD form with spaces',
      'ARG X=1',
      'HEALTHCHECK --interval=5s CMD ["curl", "-f", "http://localhost/"]',
      'ONBUILD RUN echo later',
    ].join('\n'),
  ).nodes
  t.same([run.args, run.json], [['echo', 'hi there'], true])
  t.same([cmd.args, cmd.json], [["['single', 'quotes']"], false], 'not JSON: shell form')
  t.same([bad.args, bad.json], [['["a", 1]x'], false], 'broken JSON falls back to shell form')
  t.same(copy.flags, ['--from=build', '--chown=1:1'])
  t.same(copy.args, ['a', 'b', '/dst/'])
  t.same(env.args, ['A', '"x y"', 'B', 'z\\ w', 'C', "'q r'"], 'quotes and escapes stay for the lexer')
  t.same(label.args, ['version', '"1.0"', '"com.example.key"', 'v'])
  t.same(env2.args, ['OLD', 'form with spaces'])
  t.same(arg.args, ['X=1'])
  t.same([hc.flags, hc.args, hc.json], [['--interval=5s'], ['CMD', 'curl', '-f', 'http://localhost/'], true])
  t.equal(onbuild.sub?.cmd, 'run')
  t.same(onbuild.sub?.args, ['echo later'])
  t.equal(errorOf(() => parseDockerfile('FROM x\nCMD ["a", 1]')), 'dockerfile parse error on line 2: when using JSON array syntax, arrays must be comprised of strings only')
  t.equal(errorOf(() => parseDockerfile('FROM x\nENV A')), 'dockerfile parse error on line 2: ENV must have two arguments')
  t.equal(errorOf(() => parseDockerfile('FROM x\nENV A=1 B')), 'dockerfile parse error on line 2: Syntax error - can\'t find = in "B". Must be of the form: name=value')
})

t.test('builder flags: --name=value, --name value, quotes, and where they stop', async (t) => {
  t.same(extractBuilderFlags('--from=a --chown="1:2" src dst'), { rest: 'src dst', flags: ['--from=a', '--chown=1:2'] })
  t.same(extractBuilderFlags('--chown "1:2" src dst'), { rest: 'src dst', flags: ['--chown=1:2'] })
  t.same(extractBuilderFlags('--from=a --chown "1:2" src'), { rest: '"1:2" src', flags: ['--from=a', '--chown'] }, 'after a --x=y flag BuildKit takes no more spaced values (its quirk, kept)')
  t.same(extractBuilderFlags('-- --notaflag x'), { rest: ' --notaflag x', flags: [] })
  t.same(extractBuilderFlags('--link a b'), { rest: 'b', flags: ['--link=a'] }, 'a flag without = takes the next word (as BuildKit)')
  t.same(parseWords(`a "b c" d\\ e 'f\\g'`, '\\'), ['a', '"b c"', 'd\\ e', "'f\\g'"])
})

t.test("instructions: stages, meta ARGs, and Docker's errors naming the line", async (t) => {
  const df = parse('ARG BASE=busybox\nFROM $BASE AS Build\nRUN make\nFROM scratch\nCOPY --from=build /out /\nCMD ["/out"]\n')
  t.equal(df.metaArgs.length, 1)
  t.equal(df.stages.length, 2)
  t.equal(df.stages[0].name, 'build', 'stage names are lower-cased')
  t.equal(df.stages[0].baseName, '$BASE')
  t.equal(df.stages[1].commands[0].kind, 'copy')
  t.equal((df.stages[1].commands[0] as Extract<Instruction, { kind: 'copy' | 'add' }>).from, 'build')
  const cases: [string, string][] = [
    ['FROM x\nRUNN make', 'dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)'],
    ['FROM x\ncopyy a b', 'dockerfile parse error on line 2: unknown instruction: copyy (did you mean copy?)'],
    ['FROM x\nFOOBAR a b', 'dockerfile parse error on line 2: unknown instruction: FOOBAR'],
    ['RUN echo\nFROM x', 'dockerfile parse error on line 1: no build stage in current context'],
    ['FROM a b', 'dockerfile parse error on line 1: FROM requires either one or three arguments'],
    ['FROM a AS 1st', 'dockerfile parse error on line 1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
    ['FROM x\nCOPY onlyone', 'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['FROM x\nCOPY --frm=a b c', 'dockerfile parse error on line 2: unknown flag: frm'],
    ['FROM x\nCOPY --from a', 'dockerfile parse error on line 2: COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['FROM x\nCOPY --chown=1 --chown=2 a b', 'dockerfile parse error on line 2: duplicate flag specified: chown'],
    ['FROM x\nWORKDIR', 'dockerfile parse error on line 2: WORKDIR requires exactly one argument'],
    ['FROM x\nSHELL /bin/bash -c', 'dockerfile parse error on line 2: SHELL requires the arguments to be in JSON form'],
    ['FROM x\nEXPOSE', 'dockerfile parse error on line 2: EXPOSE requires at least one argument'],
    ['FROM x\nONBUILD ONBUILD RUN x', "dockerfile parse error on line 2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
    ['FROM x\nONBUILD FROM y', "dockerfile parse error on line 2: FROM isn't allowed as an ONBUILD trigger"],
    ['FROM x\nHEALTHCHECK NONE x', 'dockerfile parse error on line 2: HEALTHCHECK NONE takes no arguments'],
    ['FROM x\nHEALTHCHECK CURL x', 'dockerfile parse error on line 2: Unknown type "CURL" in HEALTHCHECK (try CMD)'],
    ['FROM x\nHEALTHCHECK --retries=0 CMD x', 'dockerfile parse error on line 2: --retries must be at least 1 (not 0)'],
    ['FROM x\nHEALTHCHECK --interval=1us CMD x', 'dockerfile parse error on line 2: Interval "interval" cannot be less than 1ms'],
    ['FROM x\nARG =v', 'dockerfile parse error on line 2: ARG names can not be blank'],
    ['FROM x\nRUN a \\\n  b \\\n  c\nbad', 'dockerfile parse error on line 5: unknown instruction: bad (did you mean add?)'],
  ]
  for (const [text, msg] of cases) t.equal(errorOf(() => parse(text)), msg, text.replace(/\n/g, '⏎'))
  const err = (() => {
    try {
      parse('FROM x\nRUNN y')
    } catch (e) {
      return e
    }
  })()
  t.ok(err instanceof DockerfileParseError && err.line === 2 && err.status === 400)
})

t.test('healthcheck, onbuild, expose, arg details', async (t) => {
  const [hc, onb, exp, arg, none] = parse(
    'FROM x\nHEALTHCHECK --interval=1m30s --timeout=3s --retries=2 CMD curl -f http://localhost/ || exit 1\nonbuild  RUN echo hi\nEXPOSE 8080 80/udp 443\nARG A B=2\nHEALTHCHECK NONE',
  ).stages[0].commands as any[]
  t.same(hc.health, { Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], Interval: 90e9, Timeout: 3e9, StartPeriod: undefined, StartInterval: undefined, Retries: 2 })
  t.equal(onb.expression, 'RUN echo hi')
  t.same(exp.ports, ['443', '80/udp', '8080'], 'sorted as strings, as Docker does')
  t.same(arg.args, [{ key: 'A' }, { key: 'B', value: '2' }])
  t.same(none.health, { Test: ['NONE'] })
  t.equal(parseGoDuration('1h2m3.5s'), 3723.5e9)
  t.equal(parseGoDuration('5'), undefined)
})

t.test('the lexer: quotes, escapes, $VAR and ${VAR…} forms', async (t) => {
  const lex = new Lexer('\\')
  const env = envMap(['PWD=/home', 'SHELL=bash', 'EMPTY=', 'HANGUL=한국어', 'PATHY=/usr/local/bin/node', 'FILE=archive.tar.gz'])
  const cases: [string, string | null][] = [
    ['plain', 'plain'],
    ["ab'c d'e", 'abc de'],
    ["it\\'s", "it's"],
    ['a\\tb', 'atb'],
    ['"a\\tb"', 'a\\tb'],
    ["'a\\tb'", 'a\\tb'],
    ['"a\\"b"', 'a"b'],
    ['end\\', 'end'],
    ['$PWD/x', '/home/x'],
    ['${PWD}x', '/homex'],
    ['\\$PWD', '$PWD'],
    ['"\\$PWD"', '$PWD'],
    ["'$PWD'", '$PWD'],
    ['$1$@$$x', 'x'],
    ['a$.b', 'a$.b'],
    ['${NOPE}|', '|'],
    ['${NOPE:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${NOPE-def}', 'def'],
    ['${PWD:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${NOPE:-${SHELL:-x}}', 'bash'],
    ['${PATHY##*/}', 'node'],
    ['${PATHY#*/}', 'usr/local/bin/node'],
    ['${FILE%.*}', 'archive.tar'],
    ['${FILE%%.*}', 'archive'],
    ['${PATHY/local/LOCAL}', '/usr/LOCAL/bin/node'],
    ['${PATHY//\\//:}', ':usr:local:bin:node'],
    ['안녕$HANGUL', '안녕한국어'],
    ["안'녕'하세요", '안녕하세요'],
    ['${', null],
    ['${}', null],
    ['${PWD', null],
    ['${PWD:=x}', null],
    ['"open', null],
    ["'open", null],
    ['${:-x}', null],
  ]
  for (const [input, want] of cases) {
    if (want === null) t.throws(() => lex.processWord(input, env), `${input} fails`)
    else t.equal(lex.processWord(input, env), want, input)
  }
  t.equal(errorOf(() => lex.processWord('${NOPE:?must be set}', env)), 'failed to process "${NOPE:?must be set}": NOPE: must be set')
  t.equal(lex.processWord('${EMPTY?}', env), '', 'set (if empty) is enough without the colon')
  t.equal(errorOf(() => lex.processWord('${EMPTY:?}', env)), 'failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty')
  t.equal(errorOf(() => lex.processWord('${NOPE?}', env)), 'failed to process "${NOPE?}": NOPE: is not allowed to be unset')
  t.same(lex.processWords('a $SPACED "q r" \'s t\' ${SPACED}x', envMap(['SPACED=1 2'])), ['a', '1', '2', 'q r', 's t', '1', '2x'])
  t.equal(new Lexer('`').processWord('C:\\dir `$PWD', env), 'C:\\dir $PWD', 'with escape=` a backslash is plain')
  t.equal(envMap(['A=1', 'A=2']).get('A'), '1', 'the first definition of a name wins')
})
