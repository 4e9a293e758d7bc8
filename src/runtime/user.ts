// Who the container's process runs as. A name ("nobody", "www-data:www-data") means nothing to the
// kernel: it is looked up in the *container's* /etc/passwd and /etc/group (read safely inside its
// root), as Docker does, and becomes a uid, a gid, supplementary groups and a home directory.
import { TockerError } from '../errors.js'
import type { User } from './spec.js'

export interface ResolvedUser {
  uid: number
  gid: number
  /** Supplementary groups, sorted, without duplicates. */
  groups: number[]
  home: string
}

interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
}

interface GroupEntry {
  name: string
  gid: number
  members: string[]
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && f[0] && !f[0].startsWith('#') && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]))
    .map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }))
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && f[0] && !f[0].startsWith('#') && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }))
}

const isNumber = (s: string): boolean => /^\d+$/.test(s)

/**
 * Resolve the spec's user. `readFile` reads a file of the container (undefined if missing).
 * With `username` ("user[:group]", names or numbers) the container's databases decide, like
 * `docker run -u`; without it the numeric uid/gid of the spec are used as they are.
 */
export function resolveUser(user: User, readFile: (path: string) => string | undefined): ResolvedUser {
  let passwd: PasswdEntry[] | undefined
  const users = (): PasswdEntry[] => (passwd ??= parsePasswd(readFile('/etc/passwd')))
  let groupsDb: GroupEntry[] | undefined
  const groupList = (): GroupEntry[] => (groupsDb ??= parseGroup(readFile('/etc/group')))

  let uid = user.uid ?? 0
  let gid = user.gid ?? 0
  let entry: PasswdEntry | undefined
  const extra = new Set<number>(user.additionalGids ?? [])

  if (user.username) {
    const [u, g] = user.username.split(':', 2)
    if (!u) throw new TockerError(`invalid user "${user.username}"`, { code: 'EINVALID' })
    if (isNumber(u)) {
      uid = Number(u)
      entry = users().find((e) => e.uid === uid)
      gid = entry?.gid ?? 0
    } else {
      entry = users().find((e) => e.name === u)
      if (!entry) throw new TockerError(`unable to find user ${u}: no matching entries in passwd file`, { code: 'EINVALID' })
      uid = entry.uid
      gid = entry.gid
    }
    if (g !== undefined && g !== '') {
      if (isNumber(g)) gid = Number(g)
      else {
        const ge = groupList().find((e) => e.name === g)
        if (!ge) throw new TockerError(`unable to find group ${g}: no matching entries in group file`, { code: 'EINVALID' })
        gid = ge.gid
      }
    }
    // Supplementary groups: every group that lists the user as a member (Docker's getUser).
    if (entry) { for (const ge of groupList()) if (ge.members.includes(entry.name)) extra.add(ge.gid) }
  } else {
    entry = users().find((e) => e.uid === uid)
  }
  if (uid > 0xfffffffe || gid > 0xfffffffe) throw new TockerError(`uid or gid out of range in "${user.username ?? `${uid}:${gid}`}"`, { code: 'EINVALID' })
  extra.delete(gid)
  return { uid, gid, groups: [...extra].sort((a, b) => a - b), home: entry?.home ?? '/' }
}
