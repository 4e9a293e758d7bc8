// tocker's two languages. English is the default; Korean when the locale says so (LC_ALL, then
// LC_MESSAGES, then LANG, as POSIX orders them, starting with "ko": ko_KR.UTF-8, ko). Learners'
// errors keep Docker's English line first (so a search still finds it) and add a hint line; in
// Korean a Korean one.
//
// For colleagues (explain phases, hints): `t('key', {vars})` for a catalogued sentence, `text({en,
// ko})` for one written in place, `hintFor(code)` / `hintForMessage(message)` for an error's hint.
// Add sentences to messages.ts and error hints to hints.ts; keep the tutorials' terms (컨테이너,
// 이미지, 레이어, 포트포워딩, 네임스페이스).
import { HINTS, type Hint } from './hints.js'
import { MESSAGES, type MessageKey } from './messages.js'

export type Lang = 'en' | 'ko'

export interface Text {
  en: string
  ko?: string
}

let forced: Lang | undefined

/** The language of this process's messages (from the environment, unless setLang was called). */
export function lang(env: NodeJS.ProcessEnv = process.env): Lang {
  if (forced) return forced
  const l = env.LC_ALL || env.LC_MESSAGES || env.LANG || ''
  return l.toLowerCase().startsWith('ko') ? 'ko' : 'en'
}

/** For tests and for a future --lang flag. */
export function setLang(l: Lang | undefined): void {
  forced = l
}

export function isKorean(): boolean {
  return lang() === 'ko'
}

/** Fill "{name}" placeholders. */
function fill(s: string, vars: Record<string, string | number> = {}): string {
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m))
}

/** A text in the current language (English when it has no Korean). */
export function text(x: Text, vars?: Record<string, string | number>, l: Lang = lang()): string {
  return fill((l === 'ko' && x.ko) || x.en, vars)
}

/** Is `key` in the catalogue (a key that crossed the API as a string)? */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(MESSAGES, key)
}

/** A catalogued sentence in the current language. */
export function t(key: MessageKey, vars?: Record<string, string | number>, l: Lang = lang()): string {
  return text(MESSAGES[key], vars, l)
}

export interface HintLines {
  /** Shown in both languages (a learner's hint written in English too). */
  en?: string
  /** Shown only with a Korean locale. */
  ko?: string
}

function render(h: Hint, vars: Record<string, string>): HintLines {
  return { en: h.en ? fill(h.en, vars) : undefined, ko: h.ko ? fill(h.ko, vars) : undefined }
}

/** The hint for an error code (TockerError.code), if the catalogue has one. */
export function hintFor(code: string, vars: Record<string, string> = {}): HintLines | undefined {
  const h = HINTS.find((x) => x.code === code)
  return h ? render(h, vars) : undefined
}

/**
 * The hint for an error by its code, else by Docker's message (errors that crossed the API keep
 * only their message): the first catalogue entry whose code or pattern matches.
 */
export function hintForError(code: string | undefined, message: string): HintLines | undefined {
  for (const h of HINTS) {
    // A hint with placeholders and no pattern is rendered by its caller (hintFor with values).
    if (code && h.code === code) return h.match === undefined && /\{\w+\}/.test(`${h.en ?? ''}${h.ko ?? ''}`) ? undefined : render(h, {})
    const m = h.match?.exec(message)
    if (m) return render(h, { ...(m.groups ?? {}) })
  }
  return undefined
}

/** The lines to print under an error, in order: the English hint, then the Korean one. */
export function hintLines(h: HintLines | undefined, l: Lang = lang()): string[] {
  if (!h) return []
  const out: string[] = []
  if (h.en) out.push(h.en)
  if (l === 'ko' && h.ko) out.push(h.ko)
  return out
}

/** Display width in a terminal: Hangul and other wide characters take two columns. */
export function displayWidth(s: string): number {
  let w = 0
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ? 2 : 1
  }
  return w
}

export type { MessageKey }
export { MESSAGES }
