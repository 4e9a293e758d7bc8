// `docker top`: run the host's `ps` with the user's options and keep the rows of the container's
// processes (its first process and every descendant, found by walking /proc's parent pids), as
// dockerd does.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { TockerError } from '../errors.js'

export interface TopResult {
  Titles: string[]
  Processes: string[][]
}

export async function top(initPid: number, psArgs: string): Promise<TopResult> {
  const pids = descendantPids(initPid)
  const out = await new Promise<string>((resolve, reject) => {
    const ps = spawn('ps', psArgs.split(/\s+/).filter(Boolean), { stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    let err = ''
    ps.stdout.on('data', (d) => (text += d))
    ps.stderr.on('data', (d) => (err += d))
    ps.on('error', reject)
    ps.on('close', (code) => (code === 0 ? resolve(text) : reject(new TockerError(`ps: ${err.trim()}`, { code: 'ERUNTIME', daemon: true }))))
  })
  const lines = out.split('\n').filter(Boolean)
  const titles = lines[0].trim().split(/\s+/)
  const pidCol = titles.indexOf('PID')
  if (pidCol < 0) throw new TockerError(`Couldn't find PID field in ps output`, { code: 'ERUNTIME', daemon: true })
  const processes: string[][] = []
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/)
    // The last column (CMD/COMMAND) may contain spaces: keep it whole.
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]
    if (pids.has(Number(row[pidCol]))) processes.push(row)
  }
  return { Titles: titles, Processes: processes }
}

/** A process and every descendant (walking /proc's ppids). */
export function descendantPids(initPid: number): Set<number> {
  const parent = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      parent.set(Number(d), Number(rest[1]))
    } catch {
      /* gone */
    }
  }
  const pids = new Set([initPid])
  let grew = true
  while (grew) {
    grew = false
    for (const [pid, ppid] of parent) {
      if (!pids.has(pid) && pids.has(ppid)) {
        pids.add(pid)
        grew = true
      }
    }
  }
  return pids
}
