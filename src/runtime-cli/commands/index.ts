// Every tocker-runtime command, in runc's order of `runc --help`.
import type { RuntimeCommand } from '../command.js'
import { checkpoint, featuresCommand, list, restore, spec, state } from './info.js'
import { create, del, kill, run, start } from './lifecycle.js'

export const COMMANDS: RuntimeCommand[] = [checkpoint, create, del, kill, list, restore, run, spec, start, state, featuresCommand]
