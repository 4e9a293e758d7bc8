// Every command of the CLI, one module each (src/cli/commands/<name>.ts). Add new ones here.
import type { TockerCommand } from '../command.js'
import { loginCommand } from './login.js'
import { logoutCommand } from './logout.js'

export const commands: TockerCommand[] = [loginCommand, logoutCommand]
