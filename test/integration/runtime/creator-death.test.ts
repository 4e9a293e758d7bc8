// A creator that dies between handing the gate its process spec and saving state.json (an engine
// killed with -9 in that window; the final CI of session 9 caught one): nobody can ever know that
// container, so its gate and shim must not outlive the creator. The gate stays only once the
// creator told it the state is saved (D on the control socket, native-shims/shim/gate.c).
//
// The window is made deterministic: a creator process of our own loads the real runtime from
// dist/ with one module swapped by a loader hook: the state.js that create.js imports, whose
// writeState reports the container's pids and then blocks for good. By then the spec is in the
// gate's socket (create sends it before the write); we kill the creator there.
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { deleteContainer } from '../../../src/runtime/container.js'
import { readState } from '../../../src/runtime/state.js'
import { makeBundle, removeDir, shimsOf, stateDirs, tempDir } from '../../helpers/bundle.js'
import { distPath } from '../../helpers/paths.js'

if (process.getuid?.() !== 0) {
  t.skip('needs root', () => {})
  process.exit(0)
}

const work = tempDir('creator-death')
const stateRoot = join(work, 'state')
/** A process that has not exited (a zombie waiting for its reaper counts as gone). */
const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
/** Processes of ours to end at the teardown if the test failed half-way (by pid, never by name). */
const ours = new Set<number>()
t.teardown(async () => {
  for (const pid of ours) if (alive(pid)) process.kill(pid, 'SIGKILL')
  for (const pid of shimsOf(stateRoot)) process.kill(Number(pid), 'SIGKILL')
  await sleep(100)
  for (const id of stateDirs(stateRoot)) await deleteContainer(id, { stateRoot, force: true }).catch(() => {})
  removeDir(work)
})

const stateModule = pathToFileURL(distPath('runtime/state.js')).href
// create.js's `./state.js`, with a writeState that never returns (everything else is the real one).
writeFileSync(
  join(work, 'blocking-state.mjs'),
  `export * from ${JSON.stringify(stateModule)}
import { writeSync } from 'node:fs'
export function writeState(root, st) {
  writeSync(1, \`saving \${st.pid} \${st.shimPid}\\n\`)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
}
`,
)
writeFileSync(
  join(work, 'hooks.mjs'),
  `export async function resolve(specifier, context, next) {
  if (specifier === './state.js' && context.parentURL?.endsWith('/dist/src/runtime/create.js')) return { url: ${JSON.stringify(pathToFileURL(join(work, 'blocking-state.mjs')).href)}, shortCircuit: true }
  return next(specifier, context)
}
`,
)
writeFileSync(join(work, 'register.mjs'), `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(join(work, 'hooks.mjs')).href)})\n`)
writeFileSync(
  join(work, 'creator.mjs'),
  `import { createContainer } from ${JSON.stringify(pathToFileURL(distPath('runtime/container.js')).href)}
const [bundle, stateRoot, id] = process.argv.slice(2)
await createContainer({ id, bundle, stateRoot, stdio: { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' } })
process.stdout.write('created\\n')
`,
)

/** Run the creator until it is inside writeState; its pid and the container's gate and shim. */
async function creatorInWriteState(bundle: string, id: string): Promise<{ creator: number; gate: number; shim: number }> {
  // tap's loaders stay out of it (NODE_OPTIONS): the creator is plain node on dist/.
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const child = spawn(process.execPath, ['--import', join(work, 'register.mjs'), join(work, 'creator.mjs'), bundle, stateRoot, id], { stdio: ['ignore', 'pipe', 'pipe'], env })
  ours.add(child.pid!)
  let out = ''
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the creator did not reach writeState in 20 s: ${out}${err}`)), 20_000)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /^saving (\d+) (\d+)$/m.exec(out)
      if (!m) return
      clearTimeout(timer)
      ours.add(Number(m[1]))
      ours.add(Number(m[2]))
      resolve({ creator: child.pid!, gate: Number(m[1]), shim: Number(m[2]) })
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the creator exited (${code}) before writeState: ${out}${err}`))
    })
  })
}

t.test('kill -9 the creator after the spec went to the gate, before state.json: no gate, no shim left', async (t) => {
  const bundle = makeBundle(work, 'b1', ['sleep', '1000'])
  const id = `death-${process.pid}`
  const { creator, gate, shim } = await creatorInWriteState(bundle, id)
  t.ok(alive(gate) && alive(shim), 'the gate and its shim exist while the creator is in writeState')
  t.equal(readState(stateRoot, id), undefined, 'no state.json yet')
  process.kill(creator, 'SIGKILL')
  // The gate sees end of file on its control socket before being told the state is saved: it
  // exits, and the shim, having reaped it, after it. A bound well above the few ms this takes.
  const started = Date.now()
  while ((alive(gate) || alive(shim)) && Date.now() - started < 10_000) await sleep(20)
  t.notOk(alive(gate), 'the gate exited with its creator (nobody could ever start it)')
  t.notOk(alive(shim), 'so did its shim')
  t.same(shimsOf(stateRoot), [], 'no shim process of this state root')
  // What is left is what a restarted engine's adoption clears: the state dir (and the cgroup).
  await deleteContainer(id, { stateRoot, force: true })
  t.same(stateDirs(stateRoot), [], 'delete --force clears the state dir')
})
