// state, list, features, spec, and checkpoint/restore (refused): runc's informational commands.
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { TockerError } from '../../errors.js'
import { containerState, defaultSpec, listContainers } from '../../runtime/index.js'
import { runcSpec } from '../runc-spec.js'
import { features } from '../features.js'
import { opt, type RuntimeCommand } from '../command.js'
import { packageVersion } from '../../package-root.js'

export const state: RuntimeCommand = {
  name: 'state',
  summary: 'output the state of a container',
  usage: '<container-id>',
  description: 'Where "<container-id>" is your name for the instance of the container.\n\nDESCRIPTION:\n   The state command outputs current state information for the\ninstance of a container.',
  args: { exact: 1 },
  options: [],
  async run({ args, g }) {
    process.stdout.write(JSON.stringify(containerState(args[0], { stateRoot: g.root }), null, 2) + '\n')
  },
}

/** Go's text/tabwriter as runc's list uses it: minwidth 12, tabwidth 1, padding 3, spaces. */
function tabwriter(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(12, ...rows.map((r) => r[c].length + 3)))
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('') + '\n').join('')
}

export const list: RuntimeCommand = {
  name: 'list',
  summary: 'lists containers started by runc with the given root',
  usage: '',
  description: 'EXAMPLE:\nTo list containers created via the default "--root":\n       # tocker-runtime list',
  args: { exact: 0 },
  options: [
    opt('format', 'string', 'select one of: table or json (default: "table")', { short: 'f', default: 'table' }),
    opt('quiet', 'bool', 'display only container IDs', { short: 'q' }),
  ],
  async run({ opts, g }) {
    const all = listContainers({ stateRoot: g.root })
    if (opts.quiet) {
      process.stdout.write(all.map((s) => s.id + '\n').join(''))
      return
    }
    if (opts.format === 'json') {
      // runc prints Go's nil slice as null
      const items = all.map((s) => ({ ociVersion: s.ociVersion, id: s.id, pid: s.pid, status: s.status, bundle: s.bundle, rootfs: s.rootfs, created: s.created, owner: s.owner, annotations: s.annotations }))
      process.stdout.write((items.length ? JSON.stringify(items) : 'null') + '\n')
      return
    }
    if (opts.format !== 'table') throw new TockerError(`invalid format option`, { code: 'EINVALID' })
    process.stdout.write(tabwriter([['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...all.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])]))
  },
}

export const featuresCommand: RuntimeCommand = {
  name: 'features',
  summary: 'show the enabled features',
  usage: '',
  description: 'Show the enabled features.\n   The result is parsable as a JSON.\n   See https://github.com/opencontainers/runtime-spec/blob/main/features.md for the type definition.',
  args: { exact: 0 },
  options: [],
  async run() {
    const pkg = { version: packageVersion() }
    process.stdout.write(JSON.stringify(features(pkg.version), null, 4) + '\n')
  },
}

export const spec: RuntimeCommand = {
  name: 'spec',
  summary: 'create a new specification file',
  usage: '',
  description:
    'The spec command creates the new specification file named "config.json" for\nthe bundle.\n\nThe spec generated is just a starter file. Editing of the spec is required to\nachieve desired results. For example, the newly generated spec includes an args\nparameter that is initially set to call the "sh" command when the container is\nstarted.',
  args: { exact: 0 },
  options: [
    opt('bundle', 'string', 'path to the root of the bundle directory', { short: 'b', default: '' }),
    opt('rootless', 'bool', 'generate a configuration for a rootless container'),
  ],
  async run({ opts, g }) {
    const file = join(opts.bundle || '.', 'config.json')
    if (existsSync(file)) throw new TockerError('File config.json exists. Remove it first', { code: 'EEXIST' })
    // `tocker runtime spec`: Docker's defaults, what `tocker run` gives a container.
    if (g.dialect === 'tocker') writeFileSync(file, JSON.stringify(defaultSpec(), null, 2) + '\n')
    else writeFileSync(file, JSON.stringify(runcSpec({ rootless: !!opts.rootless }), null, '\t'))
  },
}

function unsupported(name: string, summary: string): RuntimeCommand {
  return {
    name,
    summary,
    usage: '<container-id>',
    args: { exact: 1 },
    options: [opt('image-path', 'string', 'path for saving criu image files'), opt('work-path', 'string', 'path for saving work files and logs')],
    async run() {
      throw new TockerError(`${name} is not supported by tocker-runtime: checkpoint and restore need CRIU, which tocker does not use`, { code: 'ENOTIMPLEMENTED' })
    },
  }
}

export const checkpoint = unsupported('checkpoint', 'checkpoint a running container')
export const restore = unsupported('restore', 'restore a container from a previous checkpoint')
