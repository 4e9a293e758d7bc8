// The one way a seam over the kernel is swapped (sys/syscalls.ts, network/command.ts,
// cgroups/host.ts): the real implementation is installed from the start; a test installs a fake
// and gets back the function that puts the previous one back (give it to t.teardown).
export interface Seam<T> {
  /** The installed implementation. */
  get(): T
  /** Install `impl` until the returned function is called. */
  use(impl: T): () => void
}

export function seam<T>(real: T): Seam<T> {
  let installed = real
  return {
    get: () => installed,
    use(impl) {
      const before = installed
      installed = impl
      return () => {
        installed = before
      }
    },
  }
}
