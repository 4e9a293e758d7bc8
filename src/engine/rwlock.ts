// Images against containers: a container `create` resolves its image and only later saves the
// record that says it uses those layers; an `rmi` in between would find no user and delete the
// layers the container is about to mount. So creates hold the image lock shared (any number at
// once) from the resolve until the record is saved, and rmi/prune hold it exclusively. Writers are
// served in order and new readers wait behind a waiting writer, so a stream of creates cannot
// starve an rmi.

export class RWLock {
  #readers = 0
  #writer = false
  readonly #queue: { write: boolean; grant: () => void }[] = []

  async read<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire(false)
    try {
      return await fn()
    } finally {
      this.#readers--
      this.#next()
    }
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    await this.#acquire(true)
    try {
      return await fn()
    } finally {
      this.#writer = false
      this.#next()
    }
  }

  #acquire(write: boolean): Promise<void> {
    if (this.#queue.length === 0 && !this.#writer && (!write || this.#readers === 0)) {
      if (write) this.#writer = true
      else this.#readers++
      return Promise.resolve()
    }
    return new Promise((resolve) => this.#queue.push({ write, grant: resolve }))
  }

  #next(): void {
    while (this.#queue.length && !this.#writer) {
      const head = this.#queue[0]
      if (head.write) {
        if (this.#readers > 0) return
        this.#queue.shift()
        this.#writer = true
        head.grant()
        return
      }
      this.#queue.shift()
      this.#readers++
      head.grant()
    }
  }
}
