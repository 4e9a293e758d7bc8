// Build arguments (--build-arg and ARG), with the classic builder's rules (moby's BuildArgs):
//   - a --build-arg reaches the build only through an ARG of that name in the stage (or one of the
//     built-in proxy names, which are always allowed); ARGs before the first FROM ("meta args")
//     are seen by FROM lines, and by a stage that declares `ARG NAME` without a value;
//   - an ARG's value is the --build-arg if given, else its default, else the meta arg's;
//   - ENV wins over ARG: a RUN sees the args whose names ENV did not set;
//   - --build-args no ARG used: "[Warning] One or more build-args [X] were not consumed".

/** Allowed without an ARG; and left out of RUN's cache key while no ARG names them. */
export const BUILTIN_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'])

export class BuildArgs {
  #allowed = new Map<string, string | undefined>()

  /**
   * `fromOptions`: --build-arg (a null value is a name given without one that the client's
   * environment did not have either). `referenced` is shared by every stage of one build.
   */
  constructor(
    readonly fromOptions: Map<string, string | null> = new Map(),
    readonly meta: Map<string, string | undefined> = new Map(),
    readonly referenced: Set<string> = new Set(),
  ) {}

  static fromRecord(options: Record<string, string | null>): BuildArgs {
    return new BuildArgs(new Map(Object.entries(options)))
  }

  /** For a new stage: options, meta args and the referenced names shared; the stage's ARGs empty. */
  forStage(): BuildArgs {
    return new BuildArgs(this.fromOptions, this.meta, this.referenced)
  }

  #markReferenced(key: string): void {
    this.referenced.add(key)
  }

  addMetaArg(key: string, value: string | undefined): void {
    this.meta.set(key, value)
    this.#markReferenced(key)
  }

  /** ARG in a stage. */
  addArg(key: string, value: string | undefined): void {
    this.#allowed.set(key, value)
    this.#markReferenced(key)
  }

  #value(key: string, defaults: Map<string, string | undefined>): string | undefined {
    const opt = this.fromOptions.get(key)
    if (opt !== undefined && opt !== null) return opt
    const def = defaults.get(key)
    if (def === undefined) return this.meta.get(key)
    return def
  }

  /** The meta args with their values (what FROM lines expand with). */
  metaEnv(): string[] {
    const out: string[] = []
    for (const k of this.meta.keys()) {
      const v = this.#value(k, this.meta)
      if (v !== undefined) out.push(`${k}=${v}`)
    }
    return out
  }

  /** Does --build-arg give this name a value (the default of an ARG is then not expanded)? */
  hasOption(key: string): boolean {
    const v = this.fromOptions.get(key)
    return v !== undefined && v !== null
  }

  /** The stage's args with values, minus the names `env` sets: "K=V" in declaration order. */
  filterAllowed(env: string[]): string[] {
    const inEnv = new Set(env.map((e) => e.split('=', 1)[0]))
    const out: string[] = []
    for (const k of this.#allowed.keys()) {
      if (inEnv.has(k)) continue
      const v = this.#value(k, this.#allowed)
      if (v !== undefined) out.push(`${k}=${v}`)
    }
    for (const k of BUILTIN_ARGS) {
      if (inEnv.has(k) || this.#allowed.has(k)) continue
      const v = this.fromOptions.get(k)
      if (v !== undefined && v !== null) out.push(`${k}=${v}`)
    }
    return out
  }

  /** A builtin proxy arg that no ARG declares stays out of the step's recorded command. */
  isReferencedOrNotBuiltin(key: string): boolean {
    return !BUILTIN_ARGS.has(key) || this.#allowed.has(key)
  }

  /** The --build-args that no ARG declared (for the classic builder's warning), sorted. */
  unconsumed(): string[] {
    return [...this.fromOptions.keys()].filter((k) => !this.referenced.has(k) && !BUILTIN_ARGS.has(k)).sort()
  }
}
