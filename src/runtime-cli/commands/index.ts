// Every tocker-runtime command, in runc's order of `runc --help`.
import type { RuntimeCommand } from '../command.js'
import { checkpoint, featuresCommand, list, restore, spec, state } from './info.js'
import { create, del, kill, run, start } from './lifecycle.js'
import { exec } from './exec.js'
import { events, pause, ps, resume, update } from './cgroup.js'

export const COMMANDS: RuntimeCommand[] = [checkpoint, create, del, events, exec, kill, list, pause, ps, restore, resume, run, spec, start, state, update, featuresCommand]
