// tocker system df: what images, containers, volumes and the build cache take on disk (GET
// /system/df), in Docker's table: TYPE TOTAL ACTIVE SIZE RECLAIMABLE, computed as Docker's CLI does
// (an image is active when a container uses it; reclaimable is what removing the unused would free).
import type { Command } from '../spec.js'

export const systemDf: Command = {
  usage: '[OPTIONS]',
  args: { max: 0 },
  options: [],
  async run({ g }) {
    const [{ engineClient }, { table }, { decimalSize }] = await Promise.all([import('../engine.js'), import('../output.js'), import('../../api/json-message.js')])
    const df = await (await engineClient(g)).systemDf()
    const pct = (part: number, total: number) => (total > 0 ? `${decimalSize(part)} (${Math.floor((part * 100) / total)}%)` : decimalSize(part))
    let used = 0
    for (const i of df.Images) if (i.Containers > 0 && i.Size >= 0 && i.SharedSize >= 0) used += i.Size - i.SharedSize
    const rw = df.Containers.reduce((n, c) => n + c.SizeRw, 0)
    const idleRw = df.Containers.filter((c) => c.State !== 'running').reduce((n, c) => n + c.SizeRw, 0)
    const volSize = df.Volumes.reduce((n, v) => n + v.UsageData.Size, 0)
    const idleVol = df.Volumes.filter((v) => v.UsageData.RefCount === 0).reduce((n, v) => n + v.UsageData.Size, 0)
    const rows = [
      ['Images', String(df.Images.length), String(df.Images.filter((i) => i.Containers > 0).length), decimalSize(df.LayersSize), pct(df.LayersSize - used, df.LayersSize)],
      ['Containers', String(df.Containers.length), String(df.Containers.filter((c) => c.State === 'running').length), decimalSize(rw), pct(idleRw, rw)],
      ['Local Volumes', String(df.Volumes.length), String(df.Volumes.filter((v) => v.UsageData.RefCount > 0).length), decimalSize(volSize), pct(idleVol, volSize)],
      ['Build Cache', '0', '0', '0B', '0B'],
    ]
    process.stdout.write(table(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], rows, 10))
  },
}
