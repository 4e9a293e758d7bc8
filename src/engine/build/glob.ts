// COPY/ADD source wildcards, as Docker's classic builder matches them: Go's filepath.Match against
// each whole path of the source (relative, "/" separated). `*` is any run of characters but "/",
// `?` one character but "/", `[a-z]` / `[^a-z]` a character class, `\` escapes the next character.
// A malformed pattern matches nothing (Docker ignores the error).

/** Does the source path contain a wildcard (Docker's containsWildcards: `\` escapes one)? */
export function containsWildcards(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]
    if (ch === '\\') i++
    else if (ch === '*' || ch === '?' || ch === '[') return true
  }
  return false
}

export function globRegExp(pattern: string): RegExp | undefined {
  let out = '^'
  const chars = [...pattern]
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]
    if (ch === '*') out += '[^/]*'
    else if (ch === '?') out += '[^/]'
    else if (ch === '\\') {
      if (i + 1 >= chars.length) return undefined
      out += escape(chars[++i])
    } else if (ch === '[') {
      let j = i + 1
      let cls = ''
      if (chars[j] === '^') {
        cls += '^'
        j++
      }
      let any = false
      for (; j < chars.length && (chars[j] !== ']' || !any); j++) {
        let c = chars[j]
        if (c === '\\') {
          if (j + 1 >= chars.length) return undefined
          c = chars[++j]
        }
        if (c === '/') return undefined
        cls += escapeClass(c)
        any = true
        if (chars[j + 1] === '-' && chars[j + 2] !== undefined && chars[j + 2] !== ']') {
          let hi = chars[j + 2]
          j += 2
          if (hi === '\\') {
            if (j + 1 >= chars.length) return undefined
            hi = chars[++j]
          }
          if (hi < c) return undefined
          cls += '-' + escapeClass(hi)
        }
      }
      if (j >= chars.length || !any) return undefined
      // A negated class still never matches "/".
      out += cls.startsWith('^') ? `(?![/])[${cls}]` : `[${cls}]`
      i = j
    } else out += escape(ch)
  }
  try {
    return new RegExp(out + '$', 'u')
  } catch {
    return undefined
  }
}

export function globMatch(pattern: string, path: string): boolean {
  return globRegExp(pattern)?.test(path) ?? false
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}

function escapeClass(c: string): string {
  return c.replace(/[\]\\^-]/g, '\\$&')
}
