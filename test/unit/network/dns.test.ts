// The embedded DNS server's answers without root: DnsResponder.answer() (the bytes a container would
// get back for the bytes it sent) over a network state built here (its `state` option), with the
// host's nameservers given by its `upstream` option. The sockets in the container's namespace and
// the NAT rules to 127.0.0.11:53 are the kernel's side: test/integration/network/ (root).
import dnsPacket, { type Answer, type DecodedPacket } from 'dns-packet'
import assert from 'node:assert/strict'
import t from 'tap'
import { dnsNatRules, DnsResponder } from '../../../src/network/dns/responder.js'
import { forward } from '../../../src/network/dns/forward.js'
import { RCODE } from '../../../src/network/dns/resolver.js'
import type { Endpoint, NetworkRecord, NetworkState } from '../../../src/network/types.js'

const WEB = 'a'.repeat(64)
const DB = 'b'.repeat(64)
const CACHE = 'c'.repeat(64)
const LONER = 'd'.repeat(64)
const API2 = 'e'.repeat(64)

function ep(containerId: string, name: string, ip: string, extra: Partial<Endpoint> = {}): Endpoint {
  const dnsNames = [name, containerId.slice(0, 12), ...(extra.dnsNames ?? [])]
  return { containerId, name, endpointId: containerId, ip, prefixLen: 16, gateway: '', mac: '', hostVeth: '', netns: '', ports: [], ...extra, dnsNames }
}

function net(name: string, endpoints: Endpoint[], extra: Partial<NetworkRecord> = {}): NetworkRecord {
  return { id: name.padEnd(64, '0'), name, driver: 'bridge', created: '', endpoints: Object.fromEntries(endpoints.map((e) => [e.containerId, e])), ...extra }
}

// web and db on "app" (db also as "database", two containers share the alias "api"); web and cache
// on "back"; loner on the default bridge; db alone on the internal network "vault" too.
const state: NetworkState = {
  version: 2,
  networks: {
    app: net('app', [ep(WEB, 'web', '172.18.0.2', { links: { store: 'db' } }), ep(DB, 'db', '172.18.0.3', { dnsNames: ['database', 'api'] }), ep(API2, 'api2', '172.18.0.4', { dnsNames: ['api'] })]),
    back: net('back', [ep(WEB, 'web', '172.19.0.2'), ep(CACHE, 'cache', '172.19.0.3')]),
    bridge: net('bridge', [ep(LONER, 'loner', '172.17.0.2'), ep(`${'f'.repeat(64)}`, 'other', '172.17.0.3')], { predefined: true }),
    vault: net('vault', [ep(DB, 'db', '172.20.0.3')], { internal: true }),
  },
}

/** No nameserver upstream: a name that is not ours gets NXDOMAIN at once (forward.ts, offline). */
const responder = () => new DnsResponder({ state: () => state, upstream: () => [] })

let nextId = 1
async function ask(asker: string, name: string, type: 'A' | 'AAAA' | 'PTR' | 'MX' = 'A'): Promise<DecodedPacket> {
  const query = dnsPacket.encode({ id: nextId++, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name }] })
  const out = await responder().answer(asker, query, false)
  if (!out) throw new Error('no answer')
  const r = dnsPacket.decode(out)
  assert.equal(r.id, query.readUInt16BE(0), 'the answer carries the query id')
  return r
}
const rcode = (r: DecodedPacket): number => (r.flags ?? 0) & 0xf
const data = (r: DecodedPacket): string[] => (r.answers ?? []).map((a: Answer) => String((a as { data: unknown }).data)).sort()

t.test('a container name, a short id, an alias, NAME.NETWORK: the addresses on the networks asker and target share', async (t) => {
  t.same(data(await ask(WEB, 'db')), ['172.18.0.3'])
  t.same(data(await ask(WEB, DB.slice(0, 12))), ['172.18.0.3'])
  t.same(data(await ask(WEB, 'Database.')), ['172.18.0.3'], 'no case, no root dot')
  t.same(data(await ask(WEB, 'db.app')), ['172.18.0.3'])
  t.same(data(await ask(WEB, 'cache')), ['172.19.0.3'], 'on the other network web is on')
  t.same(data(await ask(DB, 'web')), ['172.18.0.2'], 'db reaches web on app only')
  t.same(data(await ask(WEB, 'api')), ['172.18.0.3', '172.18.0.4'], 'one alias, two containers: both addresses (round robin)')
  const r = await ask(WEB, 'db')
  t.equal(rcode(r), RCODE.NOERROR)
  t.match(r.answers, [{ type: 'A', ttl: 600 }], "Docker's TTL")
  t.ok((r.flags ?? 0) & 0x0400, 'authoritative')
  t.ok((r.flags ?? 0) & dnsPacket.RECURSION_DESIRED, 'recursion desired copied')
})

t.test("--link aliases resolve for the container that made them, and no other's", async (t) => {
  t.same(data(await ask(WEB, 'store')), ['172.18.0.3'])
  const other = await ask(CACHE, 'store')
  t.equal(rcode(other), RCODE.NXDOMAIN, 'cache has no link named store, and nothing upstream (no nameserver) says it exists')
})

t.test('AAAA (or any other type) for a name of ours: NOERROR without answers, never NXDOMAIN', async (t) => {
  for (const type of ['AAAA', 'MX'] as const) {
    const r = await ask(WEB, 'db', type)
    t.same([rcode(r), r.answers?.length], [RCODE.NOERROR, 0], type)
  }
})

t.test('PTR: an address on a shared network back to name.network; other addresses are not ours', async (t) => {
  t.same(data(await ask(WEB, '3.0.18.172.in-addr.arpa', 'PTR')), ['db.app'])
  t.equal(rcode(await ask(WEB, '2.0.17.172.in-addr.arpa', 'PTR')), RCODE.NXDOMAIN, "loner's address: on no network web is on")
})

t.test('the default bridge and other networks are out of reach: those names are not ours', async (t) => {
  t.equal(rcode(await ask(LONER, 'other')), RCODE.NXDOMAIN, 'the default bridge has no embedded names')
  t.equal(rcode(await ask(CACHE, 'database')), RCODE.NXDOMAIN, 'db is not on back')
})

t.test('names not ours: NXDOMAIN on internal networks, without asking anyone; without a nameserver, NXDOMAIN', async (t) => {
  // db is on app too, which is not internal: it may forward. A container only on "vault" may not.
  const onlyInternal: NetworkState = { version: 2, networks: { vault: state.networks.vault! } }
  const r = new DnsResponder({ state: () => onlyInternal, upstream: () => (t.fail('asked upstream'), []) })
  const q = dnsPacket.encode({ id: 9, type: 'query', questions: [{ type: 'A', name: 'example.com' }] })
  const out = dnsPacket.decode((await r.answer(DB, q, false))!)
  t.same([rcode(out), (out.flags ?? 0) & 0x0400], [RCODE.NXDOMAIN, 0], 'NXDOMAIN, not authoritative')
  t.equal(rcode(await ask(WEB, 'example.com')), RCODE.NXDOMAIN, 'no nameserver (offline): NXDOMAIN at once')
})

t.test('forward: an unanswered UDP query is a timeout (SERVFAIL upstream), a refused TCP one unreachable', async (t) => {
  const query = dnsPacket.encode({ id: 77, type: 'query', questions: [{ type: 'A', name: 'example.com' }] })
  t.same(await forward(['127.0.0.2'], query, false, 100), { timeout: true })
  t.same(await forward(['127.0.0.2'], query, true, 2000), { unreachable: true })
  t.same(await forward([], query, false, 100), { unreachable: true }, 'no nameserver at all: offline')
})

t.test('what is not a DNS query: FORMERR with its id, or nothing when it has no header', async (t) => {
  const r = responder()
  const garbage = Buffer.from('0102ffffffffffffffffffffffff', 'hex')
  const out = await r.answer(WEB, garbage, false)
  t.same([out?.readUInt16BE(0), (out?.readUInt16BE(2) ?? 0) & 0x800f], [0x0102, 0x8000 | RCODE.FORMERR])
  t.equal(await r.answer(WEB, Buffer.from('0102', 'hex'), false), undefined)
  const two = dnsPacket.encode({ id: 5, type: 'query', questions: [{ type: 'A', name: 'db' }, { type: 'A', name: 'web' }] })
  t.equal(rcode(dnsPacket.decode((await r.answer(WEB, two, false))!)), RCODE.FORMERR, 'two questions')
})

t.test("the NAT rules that bring 127.0.0.11:53 to the responder's ports", async (t) => {
  const rules = dnsNatRules({ udp: 40001, tcp: 40002 }, true)
  t.match(rules, /^\*nat\n:TOCKER_DNS_OUTPUT - \[0:0\]\n:TOCKER_DNS_POSTROUTING - \[0:0\]\n-A OUTPUT -d 127\.0\.0\.11\/32 -j TOCKER_DNS_OUTPUT\n/)
  t.match(rules, /-p udp -m udp --dport 53 -j DNAT --to-destination 127\.0\.0\.11:40001\n/)
  t.match(rules, /-p tcp -m tcp --sport 40002 -j SNAT --to-source :53\nCOMMIT\n$/)
  t.notMatch(dnsNatRules({ udp: 1, tcp: 2 }, false), /-A OUTPUT|-A POSTROUTING/, 'a re-attach refills the chains only')
})
