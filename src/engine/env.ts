// The container's environment as Docker builds it: the image's variables, then the user's.

/** Image env, then the user's: a user's KEY=… replaces the image's KEY. */
export function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>()
  for (const kv of [...base, ...over]) {
    const i = kv.indexOf('=')
    out.set(i < 0 ? kv : kv.slice(0, i), kv)
  }
  return [...out.values()]
}
