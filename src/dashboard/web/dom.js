// A tiny DOM helper: h('td', { class: 'x', onclick: f }, 'text', child). Text always goes in as a
// text node, never as HTML: names, labels and logs come from containers and images, which anyone
// may have made, so nothing they say can become markup or script here.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  append(el, children)
  return el
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
  return el
}

/** An SVG element (the sparklines). */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  for (const c of children) el.append(c)
  return el
}

/** Empty `el`, then put `children` in (arrays and null/false are fine, as for h()). */
export function clear(el, ...children) {
  el.replaceChildren()
  return append(el, children)
}
