// Every command of the CLI, one module each (src/cli/commands/<name>.ts). Add new ones here.
import type { TockerCommand } from '../command.js'

export const commands: TockerCommand[] = []
