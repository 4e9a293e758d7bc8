// The argument forms of one Dockerfile instruction, as BuildKit's parser reads them (its
// line_parsers.go): the leading `--flags`, ENV/LABEL/ARG words with their quotes kept, name=value
// pairs, whitespace words, and the JSON array (exec form) beside the shell form. An error here is
// an internal EDOCKERFILE that parser.ts words with the line number.
import { TockerError } from '../../../errors.js'

/** What is wrong with one instruction's arguments: parseLine() words it as a DockerfileParseError naming the line. */
function lineError(detail: string): TockerError {
  return new TockerError(detail, { code: 'EDOCKERFILE', internal: true })
}

/** Go's unicode.IsSpace for the characters that appear in text files. */
export function isSpace(ch: string): boolean {
  return /^[\s\u0085]$/u.test(ch)
}

export function trimLeft(s: string): string {
  let i = 0
  while (i < s.length && isSpace(s[i])) i++
  return s.slice(i)
}

/**
 * The `--name=value` (or `--name value`) words at the start of the arguments. Quotes and `\`
 * escapes inside a flag are removed here, as Docker does.
 */
export function extractBuilderFlags(line: string, _lineNo = 0): { rest: string; flags: string[] } {
  const words: string[] = []
  let phase: 'spaces' | 'word' | 'quote' = 'spaces'
  let word = ''
  let quote = ''
  let blankOK = false
  let parsingFlagArg = false
  let needFlagArg = true
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos] : ''
    if (phase === 'spaces') {
      if (pos === line.length) break
      if (isSpace(ch)) continue
      // Only go on while the next word starts with "--" (or is a flag's value).
      if (!parsingFlagArg && (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-')) return { rest: line.slice(pos), flags: words }
      phase = 'word'
    }
    if ((phase === 'word' || phase === 'quote') && pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word)
      break
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces'
        if (parsingFlagArg) {
          words[words.length - 1] += '=' + word
          parsingFlagArg = false
          needFlagArg = true
        } else {
          if (word === '--') return { rest: line.slice(pos), flags: words }
          if (blankOK || word.length > 0) {
            if (needFlagArg) parsingFlagArg = true
            words.push(word)
          }
        }
        word = ''
        blankOK = false
        continue
      }
      if (ch === '=' && needFlagArg) needFlagArg = false
      if (ch === "'" || ch === '"') {
        quote = ch
        blankOK = true
        phase = 'quote'
        continue
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue
        pos++
        word += line[pos]
        continue
      }
      word += ch
      continue
    }
    // in a quote
    if (ch === quote) {
      phase = 'word'
      continue
    }
    if (ch === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word'
        continue
      }
      pos++
      word += line[pos]
      continue
    }
    word += ch
  }
  return { rest: '', flags: words }
}

/**
 * Words of ENV/LABEL/ARG: split at blanks outside quotes, quotes and escapes KEPT (the lexer
 * removes them when the value is expanded).
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = []
  let phase: 'spaces' | 'word' | 'quote' = 'spaces'
  let quote = ''
  let blankOK = false
  let word = ''
  const chars = [...rest]
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos] : ''
    if (phase === 'spaces') {
      if (pos === chars.length) break
      if (isSpace(ch)) continue
      phase = 'word'
    }
    if ((phase === 'word' || phase === 'quote') && pos === chars.length) {
      if (blankOK || word.length > 0) words.push(word)
      break
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces'
        if (blankOK || word.length > 0) words.push(word)
        word = ''
        blankOK = false
        continue
      }
      if (ch === "'" || ch === '"') {
        quote = ch
        blankOK = true
        phase = 'quote'
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue // an escape at the end of the line is dropped
        // Outside quotes the escape and the next character both stay, even a quote.
        word += ch
        pos++
        ch = chars[pos]
      }
      word += ch
      continue
    }
    // in a quote
    if (ch === quote) phase = 'word'
    // The escape token means something inside double quotes only.
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word'
        continue
      }
      pos++
      word += ch
      ch = chars[pos]
    }
    word += ch
  }
  return words
}

/**
 * ENV and LABEL: `KEY value with spaces` (the old form, when the first word has no "=") or
 * `k1=v1 k2="v 2"`. Returns [key, value, key, value, …].
 */
export function parseNameVal(rest: string, key: string, escapeToken: string): string[] {
  const words = parseWords(rest, escapeToken)
  if (words.length === 0) return []
  if (!words[0].includes('=')) {
    const m = /[\t\v\f\r ]+/.exec(rest)
    if (!m) throw lineError(`${key} must have two arguments`)
    return [rest.slice(0, m.index), rest.slice(m.index + m[0].length)]
  }
  const out: string[] = []
  for (const w of words) {
    const eq = w.indexOf('=')
    if (eq < 0) throw lineError(`Syntax error - can't find = in ${goQuote(w)}. Must be of the form: name=value`)
    out.push(w.slice(0, eq), w.slice(eq + 1))
  }
  return out
}

export function whitespaceWords(rest: string): string[] {
  if (rest === '') return []
  return rest.split(/[\t\v\f\r ]+/)
}

const NOT_STRINGS = 'when using JSON array syntax, arrays must be comprised of strings only'

/** A JSON array of strings, or undefined when the text is not one (then it is shell form). */
function parseJsonArray(rest: string): string[] | undefined {
  const text = trimLeft(rest)
  if (!text.startsWith('[')) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!Array.isArray(value)) return undefined
  if (value.some((v) => typeof v !== 'string')) throw lineError(NOT_STRINGS)
  return value as string[]
}

export function maybeJson(rest: string): { args: string[]; json: boolean } {
  if (rest === '') return { args: [], json: false }
  const arr = parseJsonArray(rest)
  if (arr) return { args: arr, json: true }
  return { args: [rest], json: false }
}

export function maybeJsonToList(rest: string): { args: string[]; json: boolean } {
  const arr = parseJsonArray(rest)
  if (arr) return { args: arr, json: true }
  return { args: whitespaceWords(rest), json: false }
}

/** HEALTHCHECK: its type word (CMD/NONE), then the command like RUN's. */
export function healthConfig(rest: string): { args: string[]; json: boolean } {
  const m = /\s/.exec(rest)
  const sep = m ? m.index : rest.length
  if (sep === 0) return { args: [], json: false }
  const type = rest.slice(0, sep)
  const cmd = maybeJson(trimLeft(rest.slice(sep)))
  return { args: [type, ...cmd.args], json: cmd.json }
}

/** Go's %q of a string (enough for error messages). */
export function goQuote(s: string): string {
  return JSON.stringify(s)
}
