// One JSON record of a store (a container's container.json, an image's <id>.json) read from disk:
// absent is undefined, but a file that exists and cannot be read, parsed or recognised is an
// error, never "absent" (the engine would otherwise take a live container for gone, and rmi
// would count a damaged image's layers as unused).
import { readFileSync } from 'node:fs'

export interface RecordChecks<T> {
  /** The parsed value is the record expected (its id matches, its fields are there). */
  isRecord(v: T): boolean
  /** The cause when it is not. */
  notRecord(): Error
  /** The error thrown for a file that is there but unusable (the cause: the read, the parse, notRecord). */
  unreadable(cause: unknown): Error
}

export function readJsonRecord<T>(path: string, c: RecordChecks<T>): T | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw c.unreadable(err)
  }
  let v: T
  try {
    v = JSON.parse(text) as T
  } catch (err) {
    throw c.unreadable(err)
  }
  if (!v || !c.isRecord(v)) throw c.unreadable(c.notRecord())
  return v
}
