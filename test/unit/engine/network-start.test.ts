// The engine's start with a real network backend (src/engine/network-backend.ts and the network
// layer) over the fake network host (no root, no kernel) and the fake runtime: the endpoint is
// reserved before the runtime creates the container (its record's write and port rules then run
// meanwhile), plugged in once the container's namespace exists, and given back when the runtime's
// create fails.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Engine } from '../../../src/engine/engine.js'
import { EngineNetwork } from '../../../src/engine/network-backend.js'
import type { ContainerRecord } from '../../../src/engine/state.js'
import type { StartedProcess } from '../../../src/engine/backend.js'
import { TockerError } from '../../../src/errors.js'
import { FakeNetworkHost } from '../fakes/network-host.js'
import { FakeRuntime, fakeImages } from '../fakes/runtime.js'

/**
 * A runtime that notes what the network had when its create ran, and can fail that create; or let
 * it succeed with a gate that refuses the process (`gateRefuses`: check() and begin() throw it, as
 * the real runtime's unchecked create does), calling `afterCreate` then.
 */
class WatchedRuntime extends FakeRuntime {
  failCreate = false
  gateRefuses: TockerError | undefined
  afterCreate: (() => void) | undefined
  checked = 0
  seenAtCreate: (string | undefined)[] = []
  constructor(readonly network: () => EngineNetwork) {
    super()
  }
  override async create(rec: ContainerRecord): Promise<StartedProcess> {
    this.seenAtCreate.push(this.network().manager.endpoint(rec.Id)?.ip)
    if (this.failCreate) throw new TockerError('the runtime could not create it', { code: 'ERUNTIME' })
    const started = await super.create(rec)
    this.afterCreate?.()
    return started
  }
  check(): void {
    this.checked++
    if (this.gateRefuses) throw this.gateRefuses
  }
  override async begin(rec: ContainerRecord): Promise<void> {
    if (this.gateRefuses) throw this.gateRefuses
    return super.begin(rec)
  }
}

async function bed(t: Test) {
  const host = new FakeNetworkHost().install(t)
  const root = mkdtempSync(join(tmpdir(), 'tocker-unit-netstart-'))
  const network = new EngineNetwork(root)
  const runtime = new WatchedRuntime(() => network)
  const engine = new Engine({ root, runtime, images: fakeImages(), network })
  await engine.init()
  t.teardown(async () => {
    await engine.close()
    network.manager.close()
    rmSync(root, { recursive: true, force: true })
  })
  return { engine, runtime, network, host }
}

const published = (hostPort: string) => ({ Image: 'busybox', Cmd: ['sleep', '1'], ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: hostPort }] } } })

t.test("start: the endpoint is reserved before the runtime's create and plugged into the namespace after it", async (t) => {
  const { engine, runtime, network, host } = await bed(t)
  const { Id } = await engine.create(published(''), 'web')
  await engine.start(Id)
  t.same(runtime.seenAtCreate, ['172.17.0.2'], "the address was the container's before the runtime created it")
  const c = engine.inspect(Id)
  const e = network.manager.endpoint(Id)!
  t.equal(c.NetworkSettings.IPAddress, '172.17.0.2')
  t.equal(c.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort, String(e.ports[0]!.hostPort), 'the published port in inspect')
  t.same(host.namespaces.get(`/proc/${c.State.Pid}/ns/net`)?.links.get('eth0'), { up: true, addrs: ['172.17.0.2/16'] }, "eth0 in the container's namespace")
  t.ok(host.rules('nat').some((r) => r.includes(`--dport ${e.ports[0]!.hostPort}`) && r.includes('-j DNAT')), 'the port rule is in')
})

t.test("a gate that refused the process while the network was attached: the start fails with the gate's reason, not the attach's", async (t) => {
  // The runtime's create no longer waits for the gate's word on the process; a gate that refuses
  // it exits, and the attach into its network namespace (gone with it) may fail first.
  const { engine, runtime, network, host } = await bed(t)
  const { Id } = await engine.create({ Image: 'busybox', Cmd: ['no-such-command'] }, 'refused')
  runtime.gateRefuses = new TockerError('exec: "no-such-command": executable file not found in $PATH', { code: 'ERUNTIME', exitCode: 127 })
  runtime.afterCreate = () => host.failOn(() => true, 'Cannot open network namespace "/proc/4001/ns/net": No such file or directory')
  await t.rejects(engine.start(Id), { message: /no-such-command.*executable file not found/ })
  t.equal(runtime.checked, 1, "the gate's word was asked for once the attach failed")
  t.equal(engine.inspect(Id).State.ExitCode, 127, "the gate's exit code")
  t.match(engine.inspect(Id).State.Error, /executable file not found/)
  t.notOk(network.manager.endpoint(Id), 'no endpoint left')
  // An attach that fails for its own reason, with a gate that accepted the process: the attach's error.
  runtime.gateRefuses = undefined
  runtime.afterCreate = () => host.failOn(() => true, 'RTNETLINK answers: Operation not permitted')
  await t.rejects(engine.start(Id), { message: /Operation not permitted/ })
  runtime.afterCreate = undefined
  await engine.start(Id)
  t.ok(engine.inspect(Id).State.Running, 'then it starts')
})

t.test('a runtime create that fails after the reservation: the start fails and gives back the address, the port and its rules', async (t) => {
  const { engine, runtime, network, host } = await bed(t)
  const { Id } = await engine.create(published(''), 'web')
  runtime.failCreate = true
  await t.rejects(engine.start(Id), { message: /the runtime could not create it/ })
  t.same(runtime.seenAtCreate, ['172.17.0.2'], 'it was reserved')
  t.notOk(network.manager.endpoint(Id), 'no endpoint left')
  t.same(host.rules('nat').filter((r) => r.includes('-j DNAT')), [], 'no port rule left')
  t.same(Object.keys((host.snapshot() as { links: Record<string, unknown> }).links).filter((l) => l.startsWith('veth')), [], 'no veth')
  // The address and a fixed port are free again: another container gets both.
  runtime.failCreate = false
  const first = await engine.create(published('18089'), 'first')
  await engine.start(first.Id)
  t.equal(engine.inspect(first.Id).NetworkSettings.IPAddress, '172.17.0.2', 'the same address')
  await engine.remove(first.Id, { force: true, volumes: false })
  runtime.failCreate = true
  const second = await engine.create(published('18089'), 'second')
  await t.rejects(engine.start(second.Id), { message: /the runtime could not create it/ })
  runtime.failCreate = false
  const third = await engine.create(published('18089'), 'third')
  await engine.start(third.Id)
  t.equal(engine.inspect(third.Id).NetworkSettings.Ports['80/tcp']?.[0]?.HostPort, '18089', "the port held by the failed start's reservation is free again")
})
