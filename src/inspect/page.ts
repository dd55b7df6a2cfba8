// The inspect page: one HTML document with its CSS and script inline (served by ./server.ts; no CDN,
// nothing fetched from the internet). It draws /lifecycle.svg, lists /events' lifecycles, and highlights
// the selected lifecycle's state in the drawing (each state's element is `id="state:<path>"`).
// Text from the store is inserted with textContent only, never as HTML.

const STYLE = `
  body { font: 13px/1.4 system-ui, sans-serif; margin: 0; display: grid; grid-template-columns: 340px 1fr;
         height: 100vh; color: #263238; }
  aside { border-right: 1px solid #cfd8dc; overflow: auto; }
  h1 { font-size: 15px; margin: 10px 12px; }
  #counts { margin: 0 12px 8px; color: #607d8b; }
  ul { list-style: none; margin: 0; padding: 0; }
  li { padding: 6px 12px; border-top: 1px solid #eceff1; cursor: pointer; }
  li.selected { background: #e3f2fd; }
  li .guid { font-family: ui-monospace, monospace; font-size: 11px; }
  li .state { float: right; font-size: 11px; padding: 0 6px; border-radius: 8px; background: #eceff1; }
  li[data-status="waiting"] .state { background: #fff3e0; }
  li[data-status="done"] .state { background: #e8f5e9; }
  main { display: grid; grid-template-rows: auto 1fr; overflow: hidden; }
  #detail { padding: 10px 14px; border-bottom: 1px solid #cfd8dc; min-height: 90px; }
  #detail h2 { font-size: 14px; margin: 0 0 4px; }
  #detail dl { display: grid; grid-template-columns: 90px 1fr; margin: 0; gap: 2px 8px; }
  #detail dt { color: #607d8b; }
  #history { max-height: 120px; overflow: auto; font-size: 11px; margin: 6px 0 0; padding-left: 18px; }
  #diagram { overflow: auto; padding: 8px; }
  #diagram svg { max-width: 100%; height: auto; }
  #diagram g.active > polygon, #diagram g.active > path { fill: #ffca28 !important; stroke: #e65100;
         stroke-width: 3px; }
`

const SCRIPT = `
  const lifecycles = new Map()
  let selected = null
  const $ = (id) => document.getElementById(id)
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text; return e }

  function highlight() {
    for (const g of document.querySelectorAll('#diagram g.active')) g.classList.remove('active')
    const l = selected && lifecycles.get(selected)
    if (!l) return
    // The state path and each enclosing state: credentials.awaiting lights credentials too.
    const parts = l.state.split('.')
    for (let i = parts.length; i > 0; i--) {
      const g = document.getElementById('state:' + parts.slice(0, i).join('.'))
      if (g) { g.classList.add('active'); break }
    }
  }

  async function showDetail() {
    const l = selected && lifecycles.get(selected)
    const detail = $('detail')
    detail.replaceChildren()
    if (!l) { detail.append(el('p', '', 'Select a lifecycle.')); return }
    detail.append(el('h2', '', l.memberGuid))
    const dl = el('dl')
    const row = (k, v, id) => { dl.append(el('dt', '', k)); const dd = el('dd', '', v); if (id) dd.id = id; dl.append(dd) }
    row('user', l.userId)
    row('state', l.state, 'current-state')
    row('status', l.status + (l.connectionStatus ? ' · MX ' + l.connectionStatus : ''))
    row('prompt', l.prompt ? l.prompt.kind + ': ' + l.prompt.labels.join(', ') : '—', 'prompt')
    row('outcome', l.outcome ? l.outcome.outcome + (l.outcome.reason ? ' (' + l.outcome.reason + ')' : '') : '—', 'outcome')
    detail.append(dl)
    const history = el('ol')
    history.id = 'history'
    detail.append(history)
    const guid = l.memberGuid
    const entries = await (await fetch('/api/lifecycles/' + encodeURIComponent(guid) + '/history')).json()
    if (selected !== guid) return
    for (const h of entries) history.append(el('li', '', new Date(h.at).toISOString().slice(11, 23) + ' ' + h.type + (h.text ? ': ' + h.text : '')))
    history.scrollTop = history.scrollHeight
  }

  function renderList() {
    const ul = $('list')
    ul.replaceChildren()
    const counts = { running: 0, waiting: 0, done: 0 }
    for (const l of lifecycles.values()) {
      counts[l.status] = (counts[l.status] || 0) + 1
      const li = el('li', l.memberGuid === selected ? 'selected' : '')
      li.dataset.guid = l.memberGuid
      li.dataset.status = l.status
      li.append(el('span', 'state', l.outcome ? l.outcome.outcome : l.state), el('span', 'guid', l.memberGuid))
      li.addEventListener('click', () => select(l.memberGuid))
      ul.append(li)
    }
    $('counts').textContent = lifecycles.size + ' lifecycles · ' + counts.running + ' running · ' +
      counts.waiting + ' waiting · ' + counts.done + ' done'
  }

  function select(guid) { selected = guid; renderList(); highlight(); showDetail() }

  async function start() {
    $('diagram').innerHTML = await (await fetch('/lifecycle.svg')).text()
    document.body.dataset.diagram = 'ready'
    const source = new EventSource('/events')
    source.addEventListener('lifecycles', (e) => {
      const changed = JSON.parse(e.data)
      for (const l of changed) lifecycles.set(l.memberGuid, l)
      if (!selected && lifecycles.size > 0) {
        const first = [...lifecycles.values()].find((l) => l.status !== 'done') || [...lifecycles.values()][0]
        selected = first.memberGuid
      }
      renderList()
      highlight()
      if (changed.some((l) => l.memberGuid === selected)) showDetail()
    })
    source.addEventListener('open', () => { document.body.dataset.live = 'yes' })
  }
  start()
`

/** The page's HTML, with its style and script inline. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mx-reconnect inspect</title>
<style>${STYLE}</style>
</head>
<body>
<aside>
  <h1>mx-reconnect · lifecycles</h1>
  <div id="counts">loading…</div>
  <ul id="list"></ul>
</aside>
<main>
  <section id="detail"><p>Select a lifecycle.</p></section>
  <section id="diagram"></section>
</main>
<script type="module">${SCRIPT}</script>
</body>
</html>
`
