// Types of tar-writer.mjs for the TypeScript tests; the module's JSDoc says the rest.
export interface TarEntry {
  path: string
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo'
  mode?: number
  uid?: number
  gid?: number
  mtime?: number
  data?: Buffer | string
  sourceFile?: string
  size?: number
  linkname?: string
  devmajor?: number
  devminor?: number
  xattrs?: Record<string, string | Buffer>
}

export declare function writeTar(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>, write: (chunk: Buffer) => Promise<void>): Promise<void>
export declare function sortEntries<T extends { path: string }>(entries: Iterable<T>): T[]
