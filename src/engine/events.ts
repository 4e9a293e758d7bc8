// GET /events: what happened to containers and images, as Docker's daemon reports it (moby's
// daemon/events). Every event goes to the streams open now, and into a ring of the last 256 so
// that `since` can replay them. Filters as Docker's: container, event, image, label, type, daemon,
// network, volume, scope.
//
//   {"status":"start","id":"<id>","from":"busybox","Type":"container","Action":"start",
//    "Actor":{"ID":"<id>","Attributes":{"image":"busybox","name":"web"}},
//    "scope":"local","time":1700000000,"timeNano":1700000000123456789}
import { TockerError } from '../errors.js'
import { parseFilters, parseTimestamp, type Filters } from './filters.js'

export type EventType = 'container' | 'image' | 'network' | 'volume' | 'daemon'

export interface EventMessage {
  /** Deprecated fields Docker still sends for container and image events (API < 1.52). */
  status?: string
  id?: string
  from?: string
  Type: EventType
  Action: string
  Actor: { ID: string; Attributes: Record<string, string> }
  scope: 'local'
  time: number
  /** Unix nanoseconds: exact, so kept as a bigint and written by hand into the JSON. */
  timeNano: bigint
}

export const EVENT_FILTERS = ['container', 'event', 'image', 'label', 'type', 'daemon', 'network', 'volume', 'scope', 'plugin', 'node', 'service', 'secret', 'config'] as const

/** Docker keeps this many past events for `since`. */
const RING_SIZE = 256

export interface EventQuery {
  since?: string | null
  until?: string | null
  filters?: string | null
}

export interface Subscription {
  /** Past events asked for with `since` (already filtered). */
  past: EventMessage[]
  /** Nanoseconds after which the stream ends (`until`), if any. */
  until?: bigint
  stop(): void
}

export class EventBus {
  readonly #ring: EventMessage[] = []
  readonly #listeners = new Set<(e: EventMessage) => void>()
  #lastNano = 0n

  get listeners(): number {
    return this.#listeners.size
  }

  emit(type: EventType, action: string, actorId: string, attributes: Record<string, string> = {}): EventMessage {
    // Strictly increasing, so two events of one millisecond keep their order in a replay.
    let nano = BigInt(Date.now()) * 1_000_000n
    if (nano <= this.#lastNano) nano = this.#lastNano + 1n
    this.#lastNano = nano
    const e: EventMessage = {
      ...(type === 'container' || type === 'image' ? { status: action, id: actorId, ...(type === 'container' && attributes.image ? { from: attributes.image } : {}) } : {}),
      Type: type,
      Action: action,
      Actor: { ID: actorId, Attributes: attributes },
      scope: 'local',
      time: Number(nano / 1_000_000_000n),
      timeNano: nano,
    }
    this.#ring.push(e)
    if (this.#ring.length > RING_SIZE) this.#ring.shift()
    for (const l of this.#listeners) l(e)
    return e
  }

  /** Listen from now on; `since` replays from the ring first. */
  subscribe(q: EventQuery, onEvent: (e: EventMessage) => void): Subscription {
    const filters = parseFilters(q.filters, EVENT_FILTERS)
    const since = q.since ? parseTimestamp(q.since) : undefined
    const until = q.until ? parseTimestamp(q.until) : undefined
    if (since !== undefined && until !== undefined && since > until) {
      throw new TockerError('`since` time cannot be after `until` time', { code: 'EINVALID', daemon: true })
    }
    const wanted = (e: EventMessage) => matchEvent(e, filters)
    const past = since === undefined ? [] : this.#ring.filter((e) => e.timeNano >= since && (until === undefined || e.timeNano <= until) && wanted(e))
    const listener = (e: EventMessage) => {
      if (until !== undefined && e.timeNano > until) return
      if (wanted(e)) onEvent(e)
    }
    this.#listeners.add(listener)
    return { past, until, stop: () => this.#listeners.delete(listener) }
  }
}

/** One event as a line of the /events stream (timeNano written exactly). */
export function encodeEvent(e: EventMessage): string {
  return JSON.stringify({ ...e, timeNano: '@@TIMENANO@@' }).replace('"@@TIMENANO@@"', e.timeNano.toString()) + '\n'
}

function matchEvent(e: EventMessage, f: Filters): boolean {
  const any = (key: string, test: (v: string) => boolean) => !f.has(key) || f.get(key)!.some(test)
  const attrs = e.Actor.Attributes
  return (
    any('type', (v) => v === e.Type) &&
    // "exec_start: sh" is matched by "exec_start" too.
    any('event', (v) => v === e.Action || e.Action.split(':')[0] === v) &&
    any('scope', (v) => v === e.scope) &&
    any('container', (v) => e.Type === 'container' && (e.Actor.ID.startsWith(v) || attrs.name === v)) &&
    any('image', (v) => {
      if (e.Type !== 'image' && e.Type !== 'container') return false
      const name = e.Type === 'image' ? attrs.name : attrs.image
      return [e.Actor.ID, name, stripTag(e.Actor.ID), stripTag(name)].some((x) => x !== undefined && x === v)
    }) &&
    any('network', (v) => e.Type === 'network' && (e.Actor.ID === v || attrs.name === v)) &&
    any('volume', (v) => e.Type === 'volume' && e.Actor.ID === v) &&
    any('daemon', (v) => e.Type === 'daemon' && (e.Actor.ID === v || attrs.name === v)) &&
    any('label', (v) => {
      const i = v.indexOf('=')
      return i < 0 ? v in attrs : attrs[v.slice(0, i)] === v.slice(i + 1)
    })
  )
}

/** "busybox:latest" → "busybox" (a registry port is not a tag). */
function stripTag(ref: string | undefined): string | undefined {
  if (ref === undefined) return undefined
  const at = ref.indexOf('@')
  if (at >= 0) return ref.slice(0, at)
  const colon = ref.lastIndexOf(':')
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref
}

/** A container's events, with Docker's attributes: its labels, then image and name. */
export class ContainerEvents {
  constructor(readonly bus: EventBus) {}

  container(rec: { Id: string; Name: string; Image: string; Config: { Labels?: Record<string, string> | null } }, action: string, extra: Record<string, string> = {}): void {
    this.bus.emit('container', action, rec.Id, { ...(rec.Config.Labels ?? {}), image: rec.Image, name: rec.Name, ...extra })
  }
}
