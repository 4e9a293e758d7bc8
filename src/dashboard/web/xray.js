// The x-ray of a container: what the kernel holds for it, drawn (GET /containers/{id}/kernel, the
// engine's reading of /proc, the same data as `tocker kernel NAME`):
//   - its namespaces beside the host's: a different number is a namespace of its own;
//   - its root filesystem as the overlay stack: merged on top, the writable upper layer, the
//     image's read-only lower layers below;
//   - its cgroup's files, with memory / CPU / process-count graphs where cgroup v2 controllers are
//     there (read again every 2 s, only while this tab is on screen);
//   - its network: the veth pair from eth0 to the bridge, and its iptables rules (DNAT for -p);
//   - its process's capabilities and seccomp state.
import { json } from './api.js'
import { clear, h, svg } from './dom.js'
import { humanSize } from './format.js'
import { t } from './i18n.js'

/** Every capability of Linux 5.9+ (CAP_LAST_CAP = 40): what root on the host has. */
// dprint-ignore: a table, laid out by hand
const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
]

const POLL_MS = 2000
const HISTORY = 60

function section(title, ...children) {
  return h('section', { class: 'panel' }, h('h2', {}, title), ...children)
}

function namespaces(k) {
  return section(
    t('namespaces'),
    h(
      'table',
      { class: 'ns', id: 'xray-namespaces' },
      h('thead', {}, h('tr', {}, h('th', {}, t('nsType')), h('th', {}, ''), h('th', {}, t('nsContainer')), h('th', {}, t('nsHost')), h('th', {}, ''))),
      h(
        'tbody',
        {},
        (k.Namespaces ?? []).map((n) =>
          h(
            'tr',
            { dataset: { ns: n.Type, shared: n.Shared ? '1' : '0' } },
            h('td', { class: 'mono' }, n.Type),
            h('td', { class: 'muted' }, t(`ns.${n.Type}`)),
            h('td', { class: 'mono' }, n.Container),
            h('td', { class: 'mono' }, n.Host),
            h('td', { class: n.Shared ? 'shared' : 'own' }, n.Shared ? t('nsShared') : t('nsOwn')),
          )
        ),
      ),
    ),
    h('p', { class: 'muted' }, t('nsNote')),
  )
}

/** containers/<64 hex>/upper → "<12 hex>…/upper" (the whole path is the row's tooltip). */
const shortDir = (dir) => dir.split('/').slice(-2).join('/').replace(/^([0-9a-f]{12})[0-9a-f]{52}\//, '$1…/')

function overlay(k) {
  const name = (k.Name ?? '').replace(/^\//, '') || '<name>'
  const r = k.Root ?? {}
  // overlayfs lists lowerdir top first: the image's first layer is the last one. On top of the
  // image's layers the engine puts the container's own init layer (containers/<id>/init, Docker's
  // "-init" layer: the empty mount points of /proc, /sys, /dev, /etc/hosts…); containers made
  // before it existed have none.
  const isInit = (dir) => /\/containers\/[0-9a-f]{64}\/init$/.test(dir)
  // (An InitDir field of its own, should the kernel view ever split it out, is drawn the same way.)
  const init = r.InitDir ? [r.InitDir] : (r.LowerDirs ?? []).filter(isInit)
  const lowers = (r.LowerDirs ?? []).filter((dir) => !isInit(dir)).reverse()
  const n = r.LowerDirs ? lowers.length : (r.Layers ?? 0)
  return section(
    t('overlay'),
    h('div', { class: 'kv' }, h('dt', {}, 'fstype'), h('dd', {}, r.FsType ?? '?')),
    h(
      'div',
      { class: 'stack', id: 'xray-overlay', dataset: { layers: String(n) } },
      lowers.map((dir, i) => h('div', { class: 'layer lower', title: dir }, h('b', {}, `L${i + 1}`), h('span', {}, t('lower', { i: i + 1 })), h('span', { class: 'badge mono' }, dir.split('/').slice(-2).join('/')))),
      init.map((dir) => h('div', { class: 'layer init', title: dir }, h('b', {}, 'init'), h('span', {}, t('initLayer')), h('span', { class: 'badge mono' }, shortDir(dir)))),
      r.UpperDir ? h('div', { class: 'layer upper', title: r.UpperDir }, h('b', {}, '↑'), h('span', {}, t('upper')), h('span', { class: 'badge mono' }, shortDir(r.UpperDir))) : null,
      h('div', { class: 'layer merged', title: r.MergedDir }, h('b', {}, '/'), h('span', {}, t('merged')), h('span', { class: 'badge mono' }, r.SeeAt ?? '')),
    ),
    h('p', { class: 'muted', id: 'xray-overlay-note' }, t('overlayNote', { n })),
    // The engine's Note says this in both languages at once; the page says it in the one chosen.
    r.SeeAt && r.MergedDir ? h('p', { class: 'muted', id: 'xray-merged-note' }, t('mergedNote', { dir: r.MergedDir, seeAt: r.SeeAt, name })) : r.Note ? h('p', { class: 'muted' }, r.Note) : null,
  )
}

/** A small line graph of the last values. */
function sparkline(values, max) {
  const w = 220
  const hgt = 46
  const top = Math.max(max ?? 0, ...values, 1)
  const pts = values.map((v, i) => `${(i / Math.max(HISTORY - 1, 1)) * w},${hgt - (v / top) * (hgt - 4) - 2}`).join(' ')
  return svg('svg', { width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}` }, svg('polyline', { points: pts, fill: 'none', stroke: '#1d63ed', 'stroke-width': 2 }))
}

function cgroupSection(k) {
  const files = k.Cgroup?.Files ?? {}
  const graphs = h('div', { class: 'grid2', id: 'xray-graphs' })
  const list = h('dl', { class: 'kv', id: 'xray-cgroup-files' })
  const hasV2 = 'memory.current' in files || 'pids.current' in files
  const el = section(
    t('cgroup'),
    h('div', { class: 'kv' }, h('dt', {}, 'path'), h('dd', {}, k.Cgroup?.Path ?? '?')),
    hasV2 ? graphs : h('p', { class: 'muted', id: 'xray-no-v2' }, t('cgroupNoV2')),
    // No files at all (no cgroup of its own on a machine without cgroup v2 controllers): no empty heading.
    Object.keys(files).length ? h('h3', {}, 'files') : null,
    list,
  )
  const history = { mem: [], cpu: [], pids: [] }
  let lastCpu
  const update = (f, at) => {
    clear(list, Object.entries(f).flatMap(([name, v]) => [h('dt', {}, name), h('dd', {}, v)]))
    if (!hasV2) return
    const push = (arr, v) => (arr.push(v), arr.length > HISTORY && arr.shift())
    push(history.mem, Number(f['memory.current']) || 0)
    push(history.pids, Number(f['pids.current']) || 0)
    const usec = Number(/usage_usec (\d+)/.exec(f['cpu.stat'] ?? '')?.[1])
    if (Number.isFinite(usec) && lastCpu) push(history.cpu, Math.max(0, (100 * (usec - lastCpu.usec)) / ((at - lastCpu.at) * 1000)))
    if (Number.isFinite(usec)) lastCpu = { usec, at }
    const limit = (v) => (v && v !== 'max' ? v : t('noLimit'))
    clear(
      graphs,
      h(
        'div',
        { class: 'spark' },
        h('b', {}, `${t('memory')}: ${humanSize(history.mem.at(-1))}`),
        sparkline(history.mem),
        h('span', { class: 'muted' }, `${t('limit')}: ${f['memory.max'] && f['memory.max'] !== 'max' ? humanSize(f['memory.max']) : t('noLimit')}`),
      ),
      h('div', { class: 'spark' }, h('b', {}, `${t('pids')}: ${history.pids.at(-1)}`), sparkline(history.pids), h('span', { class: 'muted' }, `${t('limit')}: ${limit(f['pids.max'])}`)),
      history.cpu.length || 'cpu.stat' in f
        ? h('div', { class: 'spark' }, h('b', {}, `${t('cpu')}: ${(history.cpu.at(-1) ?? 0).toFixed(1)}%`), sparkline(history.cpu, 100), h('span', { class: 'muted' }, `${t('limit')}: ${limit(f['cpu.max'])}`))
        : null,
    )
  }
  update(files, performance.now())
  return { el, update, live: hasV2 }
}

function network(k) {
  const n = k.Network
  if (!n) return section(t('network'), h('p', { class: 'muted' }, t('noNetwork')))
  const eth = n.Interfaces?.filter((i) => i.Name !== 'lo') ?? []
  const box = (cls, title, lines) => h('div', { class: `box ${cls}` }, h('b', {}, title), lines.map((l) => h('div', { class: 'mono' }, l)))
  const wire = (label) => h('div', { class: 'wire' }, h('span', {}, label))
  const rules = n.Rules ?? []
  return section(
    t('network'),
    h(
      'div',
      { class: 'net', id: 'xray-net' },
      box('ctr', `${t('nsContainer')} (net ns)`, eth.length ? eth.flatMap((i) => [`${i.Name} ${i.State ?? ''}`, ...i.Addresses]) : ['lo']),
      n.HostVeth ? wire('veth') : null,
      n.HostVeth ? box('host', t('nsHost'), [`${n.HostVeth.Name} ${n.HostVeth.State ?? ''}`, n.HostVeth.Master ? `master ${n.HostVeth.Master}` : '']) : null,
      n.Bridge ? wire('') : null,
      n.Bridge ? box('br', `bridge ${n.Bridge.Name}`, n.Bridge.Addresses) : null,
    ),
    n.HostVeth ? h('p', { class: 'muted' }, t('vethNote', { veth: n.HostVeth.Name, bridge: n.HostVeth.Master ?? n.Bridge?.Name ?? '?' })) : null,
    h('h3', {}, t('natRules')),
    rules.length
      ? h('div', { class: 'rules', id: 'xray-rules' }, rules.map((r) => h('div', { class: /DNAT/.test(r) ? 'dnat' : '' }, r)))
      : h('p', { class: 'muted' }, t('noRules')),
  )
}

function processSection(k) {
  const p = k.Process ?? {}
  const has = new Set(p.CapEffNames ?? [])
  return section(
    t('process'),
    h('p', {}, t('pid1', { pid: k.Pid })),
    h('dl', { class: 'kv' }, h('dt', {}, 'uid / gid'), h('dd', {}, `${p.Uid} / ${p.Gid}`)),
    h('h3', {}, t('capabilities')),
    h('p', { class: 'muted' }, t('capNote', { n: has.size, all: ALL_CAPS.length })),
    h(
      'div',
      { class: 'chips', id: 'xray-caps' },
      ALL_CAPS.map((c) => h('span', { class: has.has(c) ? 'chip' : 'chip off', dataset: { has: has.has(c) ? '1' : '0' } }, c.replace(/^CAP_/, ''))),
    ),
    h('h3', {}, t('seccomp')),
    h('p', { id: 'xray-seccomp' }, p.Seccomp === 2 ? t('seccompFilter', { n: p.SeccompFilters ?? 1 }) : p.Seccomp === 1 ? 'strict' : t('seccompOff')),
    p.NoNewPrivs ? h('p', { class: 'muted' }, '✓ ', t('noNewPrivs')) : null,
  )
}

export function xrayTab(el, ctx) {
  const path = `/containers/${encodeURIComponent(ctx.id)}/kernel`
  el.append(h('p', { class: 'muted' }, t('xrayIntro', { id: ctx.id.slice(0, 12), name: ctx.name })))
  const body = h('div', { id: 'xray' }, h('p', { class: 'muted' }, t('loading')))
  el.append(body)
  let timer
  let gone = false
  let cg

  const poll = async () => {
    timer = undefined
    if (gone || document.hidden) return
    try {
      const k = await json('GET', path)
      cg?.update(k.Cgroup?.Files ?? {}, performance.now())
    } catch {
      return
    }
    if (!gone) timer = setTimeout(poll, POLL_MS)
  }
  const onVisibility = () => !document.hidden && cg?.live && !timer && poll()

  const load = async () => {
    let k
    try {
      k = await json('GET', path)
    } catch (err) {
      clear(body, h('p', { class: 'error', id: 'xray-error' }, err.status === 404 && /page not found|not found/i.test(err.message) && !/container/i.test(err.message) ? t('xrayUnavailable') : err.message))
      return
    }
    if (gone) return
    cg = cgroupSection(k)
    // The network diagram gets the whole width: container, veth, host side and bridge in one row.
    clear(body, h('div', { class: 'grid2' }, namespaces(k), overlay(k)), cg.el, network(k), processSection(k))
    if (cg.live) timer = setTimeout(poll, POLL_MS)
  }
  load()
  document.addEventListener('visibilitychange', onVisibility)
  return {
    event(e) {
      if (e.Action === 'start' || e.Action === 'die') {
        clearTimeout(timer)
        timer = undefined
        load()
      }
    },
    unmount() {
      gone = true
      clearTimeout(timer)
      document.removeEventListener('visibilitychange', onVisibility)
    },
  }
}
