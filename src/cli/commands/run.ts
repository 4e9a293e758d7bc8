// tocker run: create a container from an image (pulling it if needed) and start it; -d prints the
// full ID and returns, otherwise the terminal is attached until the container exits and its exit
// code becomes ours.
import { RUN_OPTIONS } from '../container-options.js'
import type { Command } from '../spec.js'

export const run: Command = {
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  paths: ['container run', 'run'],
  options: RUN_OPTIONS,
  args: { min: 1 },
  interspersed: false,
  errorExitCode: 125,
  complete: 'images',
  async run({ opts: o, args, g }) {
    const detach = !!o.detach
    // Only -it can need a terminal (the check's module is not loaded otherwise).
    if (!detach && o.tty && o.interactive) (await import('../tty.js')).refuseTtyWithoutTerminal(true, true)
    const [{ engineClient }, { createBody }, { withHelp }] = await Promise.all([import('../engine.js'), import('../container-options.js'), import('../with-help.js')])
    const body = await createBody(o, args, detach)
    const client = await engineClient(g)
    // The create goes out on a connection that is open already (preconnect says why), so its bytes
    // leave within create(); the next requests' connections (wait and attach, or -d's start) open
    // while the engine creates the container. Whole requests (the create, -d's start) go on libuv's
    // pipe handle: node:net loads only for the wait and attach, after the create is sent.
    await client.preconnect(1, { whole: true })
    const create = () => client.createContainer(body, o.name as string | undefined)
    const creating = create()
    if (!detach) youngGcDue()
    void client.preconnect(detach ? 1 : 2, { whole: detach })
    // The attach, wait and copy code loads while the engine creates the container, once the create
    // is sent (loaded before, its ~15 ms held the create back).
    const runAttached = import('../run-attached.js')
    runAttached.catch(() => {}) // awaited below unless the create fails first
    // The pull code (and its hints) is loaded only when the engine says the image is missing.
    const { Id } = await creating
      .catch(async (err) => {
        const pull = await import('../pull-image.js')
        if (!pull.isNoSuchImage(err)) throw err
        return pull.pullThenCreate(create, body.Image, client, o.platform as string | undefined)
      })
      .catch((err) => {
        throw withHelp(err)
      })
    const { withRunExitCode, attachAndRun } = await runAttached
    if (detach) {
      // Its answer may be lost (the engine restarted): the engine then says whether it started.
      await (await import('../reconnect.js')).startSurvivingRestart(client, Id).catch((err) => {
        throw withHelp(withRunExitCode(err))
      })
      // Not through process.stdout: on a pipe that stream is a net.Socket, which `run -d` does not
      // load otherwise (output.ts, writeStdout).
      const { writeStdout } = await import('../output.js')
      writeStdout(`${Id}\n`)
      return 0
    }
    const code = await attachAndRun(client, Id, {
      tty: !!o.tty,
      stdin: !!o.interactive,
      start: true,
      removeAfter: !!o.rm,
      sigProxy: o['sig-proxy'] !== false,
      detachKeys: o['detach-keys'] as string | undefined,
      explain: g.explain ? (await import('../explain.js')).explainSession() : undefined,
    }).catch(async (err) => {
      throw withHelp(await (await import('../missing-command.js')).withMissingCommandHint(err, client, body.Image, body.Cmd ?? []))
    })
    if (code === 127) await (await import('../missing-command.js')).hintMissingCommand(client, body.Image, body.Cmd ?? [])
    if (code === 139) (await import('../missing-command.js')).hintCrashedProgram([...(body.Entrypoint ?? []), ...(body.Cmd ?? [])])
    return code
  },
}

/**
 * V8's young-generation GC (a scavenge, 2.5-10 ms here) is due in every attached run: a run makes
 * ~920 KB of young objects, and V8 schedules a scavenge once 80 % of its 1 MB semi-space is used,
 * to run at the event loop's next turn. Where that turn fell depended on what each step allocated:
 * before the create's request left (until preconnect), or between the wait's and attachment's
 * answers and the start (once the steps before allocated less): on the critical path both times.
 * Called right after the create is written, this ~112 KB array of garbage (under V8's 128 KB
 * large-object size, so young) takes the semi-space past the trigger, and the scavenge runs while
 * the engine creates the container; what run allocates after it stays below the next trigger.
 */
function youngGcDue(): void {
  _sink = new Array(14_000) // kept a moment, so no compiler may leave the allocation out
  _sink = undefined
}
let _sink: unknown
