// linux.timeOffsets (runtime-spec 1.1): how far a new time namespace's CLOCK_MONOTONIC and
// CLOCK_BOOTTIME are moved (a container "booted" an hour ago, say). The kernel takes them from
// /proc/<pid>/timens_offsets, written once, before the first process enters the namespace; the
// shim writes them right after its unshare(CLONE_NEWTIME) (native-shims/shim/main.c).
import { TockerError } from '../errors.js'
import type { Spec } from './spec.js'

const CLOCKS = ['monotonic', 'boottime'] as const

/** The shim's --timens-offsets text ("monotonic S N\nboottime S N\n"), or undefined; checked as runc does. */
export function timeOffsetsText(spec: Spec): string | undefined {
  const offsets = spec.linux?.timeOffsets
  if (!offsets || Object.keys(offsets).length === 0) return undefined
  const timeNs = spec.linux?.namespaces?.find((n) => n.type === 'time')
  if (!timeNs) throw new TockerError("time namespace offsets specified, but time namespace isn't enabled in the config", { code: 'EINVALID' })
  if (timeNs.path) throw new TockerError(`time namespace offsets specified, but the time namespace is joined (${timeNs.path}): offsets can only be set on a new one`, { code: 'EINVALID' })
  let text = ''
  for (const [clock, o] of Object.entries(offsets)) {
    if (!(CLOCKS as readonly string[]).includes(clock)) throw new TockerError(`linux.timeOffsets: unknown clock "${clock}" (only monotonic and boottime have offsets)`, { code: 'EINVALID' })
    const secs = o?.secs ?? 0
    const nanosecs = o?.nanosecs ?? 0
    if (!Number.isSafeInteger(secs)) throw new TockerError(`linux.timeOffsets.${clock}.secs: ${secs} is not an integer`, { code: 'EINVALID' })
    if (!Number.isInteger(nanosecs) || nanosecs < 0 || nanosecs >= 1e9) throw new TockerError(`linux.timeOffsets.${clock}.nanosecs: ${nanosecs} is not between 0 and 999999999`, { code: 'EINVALID' })
    text += `${clock} ${secs} ${nanosecs}\n`
  }
  return text
}
