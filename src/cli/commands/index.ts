// Every command of the CLI, one module each (src/cli/commands/<name>.ts). Add new ones here.
import type { TockerCommand } from '../command.js'
import { attach } from './attach.js'
import { container } from './container.js'
import { create } from './create.js'
import { daemon } from './daemon.js'
import { exec } from './exec.js'
import { inspect } from './inspect.js'
import { kill } from './kill.js'
import { loginCommand } from './login.js'
import { logoutCommand } from './logout.js'
import { logs } from './logs.js'
import { port } from './port.js'
import { ps } from './ps.js'
import { pullCommand } from './pull.js'
import { rename } from './rename.js'
import { restart } from './restart.js'
import { rm } from './rm.js'
import { run } from './run.js'
import { runtime } from './runtime.js'
import { start } from './start.js'
import { stop } from './stop.js'
import { top } from './top.js'
import { wait } from './wait.js'
import { image } from './image.js'
import { images } from './images.js'
import { load } from './load.js'
import { rmi } from './rmi.js'
import { save } from './save.js'
import { tag } from './tag.js'

export const commands: TockerCommand[] = [
  attach,
  container,
  create,
  daemon,
  exec,
  inspect,
  kill,
  loginCommand,
  logoutCommand,
  logs,
  port,
  ps,
  pullCommand,
  rename,
  restart,
  rm,
  run,
  runtime,
  start,
  stop,
  top,
  wait,
  image,
  images,
  load,
  rmi,
  save,
  tag,
]
