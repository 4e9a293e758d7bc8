// Variable substitution and quote removal in Dockerfile arguments: BuildKit's shell lexer
// (frontend/dockerfile/shell/lex.go), which Docker's classic builder uses too. Not a shell: it only
// knows quotes, the escape character and these expansions:
//
//   $name ${name}                       the value, or "" when unset
//   ${name:-word} ${name-word}          word when name is unset (":" also when it is empty)
//   ${name:+word} ${name+word}          word when name is set (":" and not empty), else ""
//   ${name:?msg} ${name?msg}            fail the build with "name: msg" when unset (or empty)
//   ${name#pat} ${name##pat}            remove the shortest/longest prefix matching pat (* and ?)
//   ${name%pat} ${name%%pat}            the same for a suffix
//   ${name/pat/repl} ${name//pat/repl}  replace the first/every match
//
// Single quotes keep everything literally; inside double quotes the escape character escapes only
// `"`, `$` and itself; outside quotes it escapes any character and is dropped. `$1`, `$@`, `$$`
// are looked up as variables of those names (so they expand to ""); a `$` before anything else
// stays. processWords() also splits the result into words at unquoted blanks (after expansion:
// a value with spaces splits, a quoted one does not).
import { TockerError } from '../../../errors.js'
import { isSpace } from './arguments.js'

const SPECIAL_PARAMS = '@*#?-$!0'

export type Env = Map<string, string>

/** KEY=VALUE strings to a lookup; the first occurrence of a key wins (as Docker's buildEnvs). */
export function envMap(entries: Iterable<string>): Env {
  const m = new Map<string, string>()
  for (const e of entries) {
    const i = e.indexOf('=')
    const [k, v] = i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)]
    if (!m.has(k)) m.set(k, v)
  }
  return m
}

/** A word that cannot be expanded (an unmatched quote, a bad ${…}); the caller words it for its instruction. */
export class LexError extends TockerError {
  constructor(message: string) {
    super(message, { code: 'ELEX', internal: true })
    this.name = 'LexError'
  }
}

export class Lexer {
  constructor(readonly escapeToken = '\\') {}

  /** Expand and unquote one word (blanks kept). */
  processWord(word: string, env: Env): string {
    return this.#process(word, env).word
  }

  /** Expand, unquote and split at unquoted blanks. */
  processWords(word: string, env: Env): string[] {
    return this.#process(word, env).words
  }

  #process(source: string, env: Env): { word: string; words: string[] } {
    const sw = new ShellWord([...source], env, this.escapeToken)
    try {
      return sw.processStopOn(undefined, false)
    } catch (err) {
      if (err instanceof LexError) throw new LexError(`failed to process ${JSON.stringify(source)}: ${err.message}`)
      throw err
    }
  }
}

class Words {
  words: string[] = []
  word = ''
  inWord = false

  addChar(ch: string): void {
    if (isSpace(ch) && this.inWord) {
      if (this.word.length) {
        this.words.push(this.word)
        this.word = ''
        this.inWord = false
      }
    } else if (!isSpace(ch)) {
      this.addRawChar(ch)
    }
  }

  addRawChar(ch: string): void {
    this.word += ch
    this.inWord = true
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch)
  }

  addRawString(s: string): void {
    this.word += s
    this.inWord = true
  }

  get(): string[] {
    if (this.word.length) {
      this.words.push(this.word)
      this.word = ''
      this.inWord = false
    }
    return this.words
  }
}

class ShellWord {
  #pos = 0
  #rawEscapes = false

  constructor(
    private readonly chars: string[],
    private readonly env: Env,
    private readonly escapeToken: string,
  ) {}

  #peek(): string | undefined {
    return this.chars[this.#pos]
  }

  #next(): string | undefined {
    return this.chars[this.#pos++]
  }

  processStopOn(stop: string | undefined, rawEscapes: boolean): { word: string; words: string[] } {
    const saved = this.#rawEscapes
    this.#rawEscapes = rawEscapes
    try {
      let result = ''
      const words = new Words()
      for (let ch = this.#peek(); ch !== undefined; ch = this.#peek()) {
        if (stop !== undefined && ch === stop) {
          this.#next()
          return { word: result, words: words.get() }
        }
        if (ch === '$' || ch === "'" || ch === '"') {
          const tmp = ch === '$' ? this.#dollar() : ch === "'" ? this.#singleQuote() : this.#doubleQuote()
          result += tmp
          if (ch === '$') words.addString(tmp)
          else words.addRawString(tmp)
          continue
        }
        let c = this.#next()!
        if (c === this.escapeToken) {
          if (this.#rawEscapes) {
            words.addRawChar(c)
            result += c
          }
          const escaped = this.#next()
          if (escaped === undefined) break // an escape at the very end is dropped
          c = escaped
          words.addRawChar(c)
        } else {
          words.addChar(c)
        }
        result += c
      }
      if (stop !== undefined) throw new LexError(`unexpected end of statement while looking for matching ${stop}`)
      return { word: result, words: words.get() }
    } finally {
      this.#rawEscapes = saved
    }
  }

  #singleQuote(): string {
    this.#next()
    let out = ''
    for (;;) {
      const ch = this.#next()
      if (ch === undefined) throw new LexError('unexpected end of statement while looking for matching single-quote')
      if (ch === "'") return out
      out += ch
    }
  }

  #doubleQuote(): string {
    this.#next()
    let out = ''
    for (;;) {
      const p = this.#peek()
      if (p === undefined) throw new LexError('unexpected end of statement while looking for matching double-quote')
      if (p === '"') {
        this.#next()
        return out
      }
      if (p === '$') {
        out += this.#dollar()
        continue
      }
      let ch = this.#next()!
      if (ch === this.escapeToken) {
        if (this.#rawEscapes) out += ch
        const after = this.#peek()
        if (after === undefined) continue // an escape at the end of the word is dropped
        if (after === '"' || after === '$' || after === this.escapeToken) ch = this.#next()!
      }
      out += ch
    }
  }

  #name(): string {
    let name = ''
    for (let ch = this.#peek(); ch !== undefined; ch = this.#peek()) {
      if (name === '' && /\p{Nd}/u.test(ch)) {
        while (this.#peek() !== undefined && /\p{Nd}/u.test(this.#peek()!)) name += this.#next()
        return name
      }
      if (name === '' && SPECIAL_PARAMS.includes(ch)) return this.#next()!
      if (!/[\p{L}\p{Nd}_]/u.test(ch)) break
      name += this.#next()
    }
    return name
  }

  #lookup(name: string): string | undefined {
    return this.env.get(name)
  }

  #dollar(): string {
    this.#next() // '$'
    if (this.#peek() !== '{') {
      const name = this.#name()
      if (name === '') return '$'
      return this.#lookup(name) ?? ''
    }
    this.#next() // '{'
    const first = this.#peek()
    if (first === undefined) throw new LexError("syntax error: missing '}'")
    if (first === '{' || first === '}' || first === ':') throw new LexError('syntax error: bad substitution')
    const name = this.#name()
    let ch = this.#next()
    if (ch === undefined) throw new LexError("syntax error: missing '}'")
    let chs = ch
    const value = this.#lookup(name)
    if (ch === '}') return value ?? ''
    let colon = false
    if (ch === ':') {
      colon = true
      ch = this.#next()
      if (ch === undefined) throw new LexError("syntax error: missing '}'")
      chs += ch
    }
    if (!colon) {
      if (ch === '/') return this.#replace(name)
      if (!'+-?#%'.includes(ch)) throw new LexError(`unsupported modifier (${chs}) in substitution`)
    }
    const raw = ch === '#' || ch === '%'
    if (colon && !'+-?'.includes(ch)) throw new LexError(`unsupported modifier (${chs}) in substitution`)
    const word = this.#stopOnBrace(raw)
    const unset = value === undefined || (colon && value === '')
    switch (ch) {
      case '-':
        return unset ? word : value!
      case '+':
        return unset ? '' : word
      case '?':
        if (value === undefined) throw new LexError(`${name}: ${word || 'is not allowed to be unset'}`)
        if (unset) throw new LexError(`${name}: ${word || 'is not allowed to be empty'}`)
        return value
      case '#':
      case '%': {
        const greedy = word.startsWith(ch)
        const pattern = greedy ? word.slice(1) : word
        return ch === '#' ? trimPrefix(pattern, value ?? '', greedy) : trimSuffix(pattern, value ?? '', greedy)
      }
    }
    throw new LexError(`unsupported modifier (${chs}) in substitution`)
  }

  #stopOnBrace(raw: boolean): string {
    try {
      return this.processStopOn('}', raw).word
    } catch (err) {
      if (err instanceof LexError && this.#peek() === undefined) throw new LexError("syntax error: missing '}'")
      throw err
    }
  }

  #replace(name: string): string {
    let global = false
    if (this.#peek() === '/') {
      this.#next()
      global = true
    }
    let pattern: string
    try {
      pattern = this.processStopOn('/', true).word
    } catch (err) {
      if (err instanceof LexError && this.#peek() === undefined) throw new LexError("syntax error: missing '/' in ${}")
      throw err
    }
    const replacement = this.#stopOnBrace(true)
    const re = patternRegExp(pattern, true, false, global)
    return (this.#lookup(name) ?? '').replace(re, () => replacement)
  }
}

/** A shell pattern (only * and ?, with \ escapes) as a regular expression. */
function patternRegExp(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  let out = anchored ? '^' : ''
  const chars = [...pattern]
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i]
    if (ch === '*') {
      out += greedy ? '[\\s\\S]*' : '[\\s\\S]*?'
      continue
    }
    if (ch === '?') {
      out += '[\\s\\S]'
      continue
    }
    if (ch === '\\') {
      const next = chars[i + 1] ?? ''
      // `}` and `/` were escaped to stay inside the ${} word; the escape is not part of the pattern.
      if (next === '}' || next === '/') continue
      i++
      if (next !== '*' && next !== '?' && next !== '\\') throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${next}'`)
      ch = next
    }
    out += ch.replace(/[[\]{}.+()|^$*?\\]/g, '\\$&')
  }
  return new RegExp(out, global ? 'gu' : 'u')
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  return value.replace(patternRegExp(pattern, greedy, true), '')
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // A suffix is a prefix of the reversed value matched by the reversed pattern (escapes kept with their character).
  const rev = (s: string) => [...s].reverse().join('')
  const units: string[] = []
  const chars = [...pattern]
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\' && i + 1 < chars.length) {
      units.push(chars[i] + chars[i + 1])
      i++
    } else units.push(chars[i])
  }
  const reversedPattern = units.reverse().join('')
  return rev(trimPrefix(reversedPattern, rev(value), greedy))
}
