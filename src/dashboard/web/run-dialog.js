// Docker Desktop's run dialog: container name, ports (host port for each port the image exposes),
// volumes (host path : container path), environment variables. It makes the same two API calls as
// `tocker run -d` (POST /containers/create, then POST /containers/{id}/start) and shows that
// command line as the fields change.
import { call } from './api.js'
import { h } from './dom.js'
import { t } from './i18n.js'

/** A row of two inputs with a remove button. */
function pairRow(list, left, right, sep, values = ['', ''], onInput) {
  const a = h('input', { type: 'text', placeholder: left, value: values[0], oninput: onInput })
  const b = h('input', { type: 'text', placeholder: right, value: values[1], oninput: onInput })
  const row = h('div', { class: 'pair' }, a, h('span', { class: 'muted' }, sep), b, h('button', { type: 'button', class: 'danger', onclick: () => (row.remove(), onInput()) }, '×'))
  row.values = () => [a.value.trim(), b.value.trim()]
  list.append(row)
  return row
}

/** Shell quoting for the command line shown (only when needed). */
const q = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

export function openRunDialog(image, inspect) {
  const name = h('input', { type: 'text', id: 'run-name', placeholder: t('optional'), autocomplete: 'off' })
  const ports = h('div', { class: 'rows', id: 'run-ports' })
  const volumes = h('div', { class: 'rows', id: 'run-volumes' })
  const env = h('div', { class: 'rows', id: 'run-env' })
  const cmdline = h('div', { class: 'cmdline mono', id: 'run-cmdline' })
  const error = h('div', { class: 'error', id: 'run-error' })

  const spec = () => {
    const p = [...ports.children].map((r) => r.values()).filter(([host, ctr]) => host && ctr)
    const v = [...volumes.children].map((r) => r.values()).filter(([host, ctr]) => host && ctr)
    const e = [...env.children].map((r) => r.values()).filter(([k]) => k)
    return { name: name.value.trim(), ports: p, volumes: v, env: e }
  }
  const update = () => {
    const s = spec()
    const words = ['tocker', 'run', '-d']
    if (s.name) words.push('--name', s.name)
    for (const [host, ctr] of s.ports) words.push('-p', `${host}:${ctr.replace(/\/tcp$/, '')}`)
    for (const [host, ctr] of s.volumes) words.push('-v', `${host}:${ctr}`)
    for (const [k, val] of s.env) words.push('-e', `${k}=${val}`)
    words.push(image)
    cmdline.textContent = t('sameAs', { cmd: words.map(q).join(' ') })
  }
  const exposed = Object.keys(inspect?.Config?.ExposedPorts ?? {})
  for (const p of exposed) pairRow(ports, t('hostPort'), t('containerPort'), ':', ['', p], update)
  const addButton = (list, left, right, sep) => h('button', { type: 'button', onclick: () => pairRow(list, left, right, sep, undefined, update) }, `+ ${t('add')}`)

  const runButton = h('button', { type: 'submit', class: 'primary', id: 'run-submit' }, `▶ ${t('run')}`)
  const dialog = h(
    'dialog',
    { id: 'run-dialog' },
    h(
      'form',
      {
        method: 'dialog',
        onsubmit: async (ev) => {
          ev.preventDefault()
          runButton.disabled = true
          error.textContent = ''
          try {
            const id = await run(image, spec())
            dialog.close()
            location.hash = `#/containers/${encodeURIComponent(id)}/logs`
          } catch (err) {
            error.textContent = err.message
          } finally {
            runButton.disabled = false
          }
        },
      },
      h('h1', {}, t('runTitle', { image })),
      h('label', { class: 'field' }, t('containerName'), name),
      h('h3', {}, t('ports')),
      ports,
      addButton(ports, t('hostPort'), t('containerPort'), ':'),
      h('h3', {}, t('volumes')),
      volumes,
      addButton(volumes, t('hostPath'), t('containerPath'), ':'),
      h('h3', {}, t('env')),
      env,
      addButton(env, t('variable'), t('value'), '='),
      h('h3', {}, ''),
      cmdline,
      error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: () => dialog.close() }, t('cancel')), runButton),
    ),
  )
  name.addEventListener('input', update)
  dialog.addEventListener('close', () => dialog.remove())
  document.body.append(dialog)
  update()
  dialog.showModal()
  name.focus()
}

/** POST /containers/create, then start: what `tocker run -d` sends. Resolves with the new ID. */
async function run(image, s) {
  const ExposedPorts = {}
  const PortBindings = {}
  for (const [host, ctr] of s.ports) {
    const key = ctr.includes('/') ? ctr : `${ctr}/tcp`
    ExposedPorts[key] = {}
    ;(PortBindings[key] ??= []).push({ HostIp: '', HostPort: host })
  }
  const body = {
    Image: image,
    Env: s.env.map(([k, v]) => `${k}=${v}`),
    ExposedPorts,
    HostConfig: { PortBindings, Binds: s.volumes.map(([host, ctr]) => `${host}:${ctr}`) },
  }
  const res = await call('POST', '/containers/create', { query: { name: s.name || undefined }, body })
  const { Id } = await res.json()
  await call('POST', `/containers/${encodeURIComponent(Id)}/start`)
  return Id
}
