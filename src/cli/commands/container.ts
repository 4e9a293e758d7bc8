// tocker container …: Docker's management-command group (`container ls`, `container rm`, …), the
// same commands as the top-level ones under their group names.
import type { TockerCommand } from '../command.js'
import { attach } from './attach.js'
import { create } from './create.js'
import { exec } from './exec.js'
import { inspect } from './inspect.js'
import { kill } from './kill.js'
import { logs } from './logs.js'
import { ps } from './ps.js'
import { rename } from './rename.js'
import { restart } from './restart.js'
import { rm } from './rm.js'
import { run } from './run.js'
import { start } from './start.js'
import { stop } from './stop.js'
import { top } from './top.js'
import { wait } from './wait.js'

const ls: TockerCommand = { ...ps, command: 'ls', aliases: ['ps', 'list'] }
const remove: TockerCommand = { ...rm, aliases: ['remove'] }

export const container: TockerCommand = {
  command: 'container',
  describe: 'Manage containers',
  run: async () => {},
  subcommands: [attach, create, exec, inspect, kill, logs, ls, rename, restart, remove, run, start, stop, top, wait],
}
