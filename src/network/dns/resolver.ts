// The embedded DNS server's decisions, on decoded packets (dns-packet): answer from the container
// networks (names.ts), or say the name is someone else's. Pure: the responder does the sockets.
//   A     a container's addresses (TTL 600, as Docker's)
//   AAAA  and any other type, for a name of ours: NOERROR with no answer (NODATA). An NXDOMAIN
//         there would tell a resolver that asks A and AAAA at once (musl, glibc) that the name does
//         not exist at all, and it would give up on the A answer too.
//   PTR   an address on the asker's networks -> "name.network"
// Everything else goes out (forward.ts), or gets NXDOMAIN when it may not.
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet'
import type { NetworkState } from '../types.js'
import { lookupA, lookupPtr } from './names.js'

export const TTL = 600
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const
/** Header flags: QR (a response), AA, RD (copied), RA. */
const QR = 0x8000
const AA = 0x0400
const RD = 0x0100
const RA = 0x0080

export type Decision = { answer: Packet } | { forward: true }

/** A response to `query` with `rcode` and `answers` (recursion desired copied, recursion available). */
export function reply(query: DecodedPacket, rcode: number, answers: Answer[] = [], authoritative = true): Packet {
  return {
    id: query.id,
    type: 'response',
    flags: QR | (authoritative ? AA : 0) | (query.flag_rd ? RD : 0) | RA | rcode,
    questions: query.questions,
    answers,
  }
}

export function decide(state: NetworkState, asker: string, query: DecodedPacket): Decision {
  const q: Question | undefined = query.questions?.[0]
  if (!q || (query.questions?.length ?? 0) !== 1 || query.flag_qr) return { answer: reply(query, RCODE.FORMERR) }
  if (q.class && q.class !== 'IN') return { forward: true }
  if (q.type === 'PTR') {
    const name = lookupPtr(state, asker, q.name)
    return name ? { answer: reply(query, RCODE.NOERROR, [{ type: 'PTR', name: q.name, ttl: TTL, data: name }]) } : { forward: true }
  }
  const ips = lookupA(state, asker, q.name)
  if (!ips) return { forward: true }
  if (q.type !== 'A') return { answer: reply(query, RCODE.NOERROR) }
  return { answer: reply(query, RCODE.NOERROR, ips.map((ip) => ({ type: 'A', name: q.name, ttl: TTL, data: ip }))) }
}
