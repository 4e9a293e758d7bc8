// Engine start-up: containers run under detached shims, so the engine can die and come back. Here
// it re-adopts what still runs, records what ended while it was away, finishes a removal cut short,
// ends a gate an interrupted create left waiting, and has the network reconcile its endpoints.
import type { NetworkBackend, RuntimeBackend } from './backend.js'
import type { ContainerTable } from './container-table.js'
import type { ExecRegistry } from './execs.js'
import type { ExitMonitor } from './exits.js'
import type { Removal } from './removal.js'
import { dropStalePin } from './log-pin.js'
import { signalContainer } from './signals.js'
import type { ContainerRecord } from './state.js'

export interface AdoptionParts {
  table: ContainerTable
  removal: Removal
  exits: ExitMonitor
  execs: ExecRegistry
  runtime: RuntimeBackend
  network?: NetworkBackend
  warn(msg: string): void
}

export async function adoptContainers(parts: AdoptionParts): Promise<void> {
  const { runtime, network, table, exits, removal, execs, warn } = parts
  const records = table.load()
  for (const rec of records) {
    if (rec.LogPath) dropStalePin(rec.LogPath)
    if (rec.State.Status === 'removing') {
      await removal.finish(rec).catch((e) => warn(`finishing the removal of ${rec.Id}: ${(e as Error).message}`))
      continue
    }
    if (!rec.State.Running) {
      // Killed in a start: the record (written once the program runs) does not name the shim
      // yet; the runtime's state does (lifecycle.ts).
      if (!rec.Shim) {
        const p = runtime.processes?.(rec)
        if (p) {
          rec.Shim = p.shim
          rec.Init = p.init
        }
      }
      const releasedAt = rec.Shim && runtime.isRunning(rec.Init) ? runtime.releasedAt?.(rec) : undefined
      if (releasedAt) {
        // An engine killed in the middle of a start, after releasing the first process but
        // before recording it: the container runs (its client may have been told otherwise).
        adoptStarted(parts, rec, releasedAt)
        continue
      }
      // An engine killed between create and start left a gate waiting: end it.
      if (rec.Shim && runtime.isRunning(rec.Init)) signalContainer(runtime, rec, 9)
      if (rec.Shim) {
        rec.Shim = undefined
        rec.Init = undefined
        await runtime.cleanup(rec).catch((e) => warn(`cleanup of ${rec.Id}: ${(e as Error).message}`))
        await table.saveOrDefer(rec)
      } else if (runtime.hasState?.(rec)) {
        // The runtime's state without its processes' identities (a create cut short): clean up.
        await runtime.cleanup(rec).catch((e) => warn(`cleanup of ${rec.Id}: ${(e as Error).message}`))
      }
      // --rm and not running: Docker removes it at its start (daemon.restore), created or ended. Its
      // record was written without an fsync (container-table.ts): after a crash of the machine it
      // may say "created" for a container that ran.
      if (rec.HostConfig.AutoRemove) await removal.remove(rec, { force: true, volumes: true, autoRemove: true }).catch((e) => warn(`--rm of ${rec.Id}: ${(e as Error).message}`))
      continue
    }
    if (runtime.isRunning(rec.Shim) && !runtime.readExit(rec)) {
      exits.watch(rec) // still running: adopt
    } else {
      await exits.processExit(rec)
    }
  }
  execs.adopt(table.all())
  const running = table.all().filter((r) => r.State.Running)
  const report = await network?.reconcile(running).catch((e) => warn(`network reconcile: ${(e as Error).message}`))
  for (const w of report?.warnings ?? []) warn(`network reconcile: ${w}`)
  exits.startSweep()
}

/** Record as running a container whose start an earlier engine did not live to record. */
function adoptStarted(parts: AdoptionParts, rec: ContainerRecord, startedAt: string): void {
  rec.State = { ...rec.State, Status: 'running', Running: true, Pid: rec.Init!.pid, ExitCode: 0, Error: '', OOMKilled: false, StartedAt: startedAt }
  const ns = parts.network?.settingsOf?.(rec)
  if (ns) rec.NetworkSettings = ns
  void parts.table.saveOrDefer(rec) // (never rejects; a write that fails is retried)
  parts.exits.watch(rec)
  parts.warn(`container ${rec.Id} was started by the previous engine, which did not record it: now recorded as running`)
}
