// The images view (Docker Desktop's "Images", `tocker images`): repository, tag, ID, created,
// size, the layer stack with the layers shared between images marked; pull with live progress,
// Run (the run dialog), delete (the engine's refusal shown as Docker words it).
import { call, imagePath, jsonLines } from './api.js'
import { clearError, showError } from './banner.js'
import { clear, h } from './dom.js'
import { ago, humanSize, shortId, splitReference } from './format.js'
import { t } from './i18n.js'
import { openRunDialog } from './run-dialog.js'
import { imageNames, inspectAllImages, onChange, state } from './state.js'

/** One row per name, as `docker images` prints them (an untagged image: <none> <none>). */
function rows() {
  const out = []
  for (const img of state.images) {
    const tags = (img.RepoTags ?? []).filter((x) => x !== '<none>:<none>')
    if (!tags.length) out.push({ img, repo: '<none>', tag: '<none>', ref: img.Id })
    for (const ref of tags) {
      const i = ref.lastIndexOf(':')
      out.push({ img, repo: ref.slice(0, i), tag: ref.slice(i + 1), ref })
    }
  }
  return out.sort((a, b) => b.img.Created - a.img.Created || a.ref.localeCompare(b.ref))
}

/** Which images use each layer (by its diff ID), from every image's RootFS. */
function layerUsers() {
  const users = new Map()
  for (const [id, ins] of state.imageInspect) {
    for (const layer of ins.RootFS?.Layers ?? []) {
      if (!users.has(layer)) users.set(layer, new Set())
      users.get(layer).add(id)
    }
  }
  return users
}

function layerStack(row) {
  const ins = state.imageInspect.get(row.img.Id)
  if (!ins) return h('p', { class: 'muted' }, t('loading'))
  const users = layerUsers()
  const layers = ins.RootFS?.Layers ?? []
  return h(
    'div',
    { class: 'layers', dataset: { image: row.ref } },
    h('h3', {}, t('layerStack', { name: row.ref }), ' ', h('span', { class: 'badge' }, t('layerCount', { n: layers.length }))),
    h(
      'div',
      { class: 'stack' },
      layers.map((diff, i) => {
        const others = [...(users.get(diff) ?? [])].filter((id) => id !== row.img.Id)
        const names = others.flatMap((id) => imageNames(id).slice(0, 1))
        return h(
          'div',
          { class: `layer${others.length ? ' shared' : ''}`, dataset: { diff, shared: others.length ? '1' : '0' } },
          h('b', {}, `#${i + 1}`),
          h('span', { class: 'mono', title: diff }, shortId(diff)),
          h('span', { class: 'badge' }, others.length ? t('layerShared', { names: names.join(', ') }) : t('layerOwn')),
        )
      }),
    ),
    h('p', { class: 'muted' }, t('sharedNote')),
  )
}

export function imagesView(el) {
  const open = new Set() // refs whose layer stack is shown
  const body = h('tbody')
  const input = h('input', { type: 'text', id: 'pull-name', placeholder: t('pullPlaceholder'), autocomplete: 'off' })
  const progress = h('div', { class: 'progress', id: 'pull-progress' })
  const pullButton = h('button', { type: 'submit', class: 'primary', id: 'pull' }, t('pull'))

  async function pull(ev) {
    ev.preventDefault()
    const name = input.value.trim()
    if (!name) return
    clearError()
    pullButton.disabled = true
    clear(progress)
    const layers = new Map()
    // As Docker prints it: "Pulling from …", one line per layer, then "Digest:" and "Status:".
    const head = h('div', { class: 'mono' })
    const rowsEl = h('div')
    const lines = h('div', { class: 'mono', id: 'pull-status' })
    progress.append(head, rowsEl, lines)
    try {
      // Leaving the view does not stop the pull: the engine goes on, and its event updates the list.
      const res = await call('POST', '/images/create', { query: splitReference(name) })
      for await (const m of jsonLines(res)) {
        if (m.error || m.errorDetail) throw new Error(m.errorDetail?.message ?? m.error)
        if (!m.id || m.status?.startsWith('Pulling from')) {
          ;(layers.size ? lines : head).append(h('div', {}, m.id ? `${m.id}: ${m.status}` : m.status))
          continue
        }
        let row = layers.get(m.id)
        if (!row) {
          row = { bar: h('span'), status: h('span'), el: null }
          row.el = h('div', { class: 'row', dataset: { layer: m.id } }, h('span', { class: 'mono' }, m.id), row.status, h('div', { class: 'bar' }, row.bar))
          layers.set(m.id, row)
          rowsEl.append(row.el)
        }
        row.status.textContent = m.status + (m.progressDetail?.total ? ` ${humanSize(m.progressDetail.current)}/${humanSize(m.progressDetail.total)}` : '')
        const d = m.progressDetail
        const pct = /complete|Already exists/i.test(m.status) ? 100 : d?.total ? Math.min(100, (100 * d.current) / d.total) : null
        if (pct !== null) row.bar.style.width = `${pct}%`
      }
      lines.append(h('div', { class: 'done' }, t('pullDone', { name })))
    } catch (err) {
      lines.append(h('div', { class: 'error' }, err.message))
      if (!err.engineDown && !err.needsToken) showError(err.message)
    } finally {
      pullButton.disabled = false
    }
  }

  async function remove(row) {
    if (!confirm(t('confirmDeleteImage', { name: row.ref }))) return
    try {
      await call('DELETE', `/images/${imagePath(row.ref)}`)
      clearError()
    } catch (err) {
      // e.g. "conflict: unable to remove repository reference "httpd" (must force) - container
      // 1a2b… is using its referenced image 3c4d…": Docker's sentence, as the engine sent it.
      if (!err.engineDown && !err.needsToken) showError(err.message)
    }
  }

  el.append(
    h('h1', {}, t('images')),
    h('form', { class: 'panel', id: 'pull-form', onsubmit: pull }, h('div', { class: 'toolbar' }, input, pullButton), progress),
    h(
      'table',
      { id: 'images' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, t('repository')), h('th', {}, t('tag')), h('th', {}, t('imageId')), h('th', {}, t('created')), h('th', {}, t('size')), h('th', {}, t('layers')), h('th', {}, '')),
      ),
      body,
    ),
  )

  const render = () => {
    clear(body)
    const all = rows()
    if (!all.length) body.append(h('tr', {}, h('td', { colspan: 7, class: 'muted' }, t('none'))))
    for (const row of all) {
      const ins = state.imageInspect.get(row.img.Id)
      const n = ins?.RootFS?.Layers?.length
      body.append(
        h(
          'tr',
          { dataset: { ref: row.ref, id: row.img.Id } },
          h('td', { class: 'mono' }, row.repo),
          h('td', { class: 'mono' }, row.tag),
          h('td', { class: 'mono' }, shortId(row.img.Id)),
          h('td', {}, ago(row.img.Created)),
          h('td', {}, humanSize(row.img.Size)),
          h(
            'td',
            {},
            h(
              'button',
              {
                type: 'button',
                class: 'plain-link',
                dataset: { action: 'layers' },
                onclick: () => {
                  if (open.has(row.ref)) open.delete(row.ref)
                  else open.add(row.ref)
                  render()
                },
              },
              `${open.has(row.ref) ? '▾' : '▸'} ${n ?? '…'}`,
            ),
          ),
          h(
            'td',
            { class: 'actions' },
            h('button', { type: 'button', class: 'primary', dataset: { action: 'run' }, onclick: () => openRunDialog(row.ref, state.imageInspect.get(row.img.Id)) }, `▶ ${t('run')}`),
            h('button', { type: 'button', class: 'danger', dataset: { action: 'delete' }, onclick: () => remove(row) }, t('delete')),
          ),
        ),
      )
      if (open.has(row.ref)) body.append(h('tr', { class: 'layers-row' }, h('td', { colspan: 7 }, layerStack(row))))
    }
  }
  render()
  const refresh = () => inspectAllImages().catch((err) => !err.engineDown && !err.needsToken && showError(err.message))
  refresh()
  const off = onChange((what) => {
    if (what === 'images' || what === 'ready') refresh()
    if (what === 'images' || what === 'layers' || what === 'ready') render()
  })
  return { unmount: off }
}
