// A process's environment as Docker builds it (ReplaceOrAppendEnvValues): the base variables, then
// the new ones; a new NAME=… replaces the base's NAME in place, others are appended. Used for a
// container (image env, then -e) and for exec (the container's env, then exec -e).

export function mergeEnv(base: string[], over: string[]): string[] {
  const out = new Map<string, string>()
  for (const kv of [...base, ...over]) {
    const i = kv.indexOf('=')
    out.set(i < 0 ? kv : kv.slice(0, i), kv)
  }
  return [...out.values()]
}
