// The dashboard in a real browser: Debian's Chromium driven headless by playwright-core against
// `tocker dashboard` and a real engine, in a private network namespace (containers publish ports
// here). The tutorials' GUI steps: the images view lists the offline images (with their layer
// stacks and shared layers), a pull shows live progress, Run starts an httpd with a published port
// whose link serves "It works!", logs stream, the exec terminal runs `hostname`, stop/start/remove
// work, an image in use is refused in Docker's words, the x-ray shows the container's own
// namespaces and its overlay. And the safety side: the token is required, a foreign Host (DNS
// rebinding) or Origin is refused, the server listens on 127.0.0.1 only, the engine being down is
// said plainly. Screenshots of each view go to a temp dir (TOCKER_SCREENSHOTS to choose it).
// @ts-ignore: plain JavaScript helper
import { inNetSandbox, prepareNetSandbox, reexecInNetSandbox } from '../../helpers/netns-sandbox.mjs'
import { OFFLINE_IMAGES } from '../../helpers/paths.js'

if (!inNetSandbox()) process.exit(await reexecInNetSandbox())
prepareNetSandbox()

const { default: t } = await import('tap')
const { request } = await import('node:http')
const { mkdirSync, mkdtempSync, readFileSync } = await import('node:fs')
const { tmpdir } = await import('node:os')
const { join } = await import('node:path')
const { WebSocket } = await import('ws')
const { engineTestBed, until } = await import('../engine/harness.js')
// @ts-ignore: plain JavaScript helper
const { launchBrowser, startDashboard } = await import('../../helpers/dashboard.mjs')
type Page = import('playwright-core').Page
type Browser = import('playwright-core').Browser

const OFFLINE = OFFLINE_IMAGES + '/'
const shots = process.env.TOCKER_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'dashboard-screenshots-'))
mkdirSync(shots, { recursive: true })
t.comment(`screenshots: ${shots}`)

const { env, ref, cleanup } = await engineTestBed(['busybox', 'httpd', 'two-layer'], 'tocker-dashboard-')
t.teardown(cleanup)
// The offline images (rootfs-cache; the test bed has just built them): busybox and busybox's httpd.
for (const image of ['busybox', 'httpd-busybox']) await env.ok(['load', '-i', join(OFFLINE, `${image}.tar`)])
const dash = await startDashboard(env.root)
t.teardown(() => dash.stop())
const browser: Browser = await launchBrowser()
t.teardown(() => browser.close())
const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
const page = await context.newPage()
const pageErrors: string[] = []
page.on('pageerror', (e) => pageErrors.push(e.message))
// Delete asks "Delete the container web?" first.
page.on('dialog', (d) => void d.accept())

const shot = (name: string, p: Page = page, fullPage = false) => p.screenshot({ path: join(shots, `${name}.png`), fullPage })
const WAIT = { timeout: 30_000 }

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}
/** A raw request to the dashboard (fetch cannot set Host or Origin). */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: dash.port, path, method, headers: { Host: `127.0.0.1:${dash.port}`, ...headers } }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}
const bearer = { Authorization: `Bearer ${dash.token}` }

/** Open a WebSocket to the terminal; resolves with the HTTP status it was refused with, or 101. */
function wsStatus(headers: Record<string, string>, protocols: string[]): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${dash.port}/api/containers/none/terminal`, protocols, { headers })
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('open', () => {
      resolve(101)
      ws.close()
    })
    ws.on('error', () => resolve(-1))
  })
}

t.test('the token is required; a foreign Host or Origin is refused; 127.0.0.1 only', async (t) => {
  const home = await raw('/')
  t.equal(home.status, 200, 'the page itself needs no token (it holds nothing secret)')
  t.match(String(home.headers['content-security-policy']), /script-src 'self'/)
  t.match(String(home.headers['content-security-policy']), /frame-ancestors 'none'/)
  t.equal((await raw('/api/containers/json')).status, 401, 'no token')
  t.equal((await raw('/api/containers/json', { Authorization: 'Bearer 0123456789abcdef0123456789abcdef' })).status, 401, 'a wrong token')
  const ok = await raw('/api/containers/json', bearer)
  t.equal(ok.status, 200, 'the token')
  t.same(ok.headers['access-control-allow-origin'], undefined, 'no CORS header, ever')
  const rebinding = await raw('/api/containers/json', { ...bearer, Host: `evil.example:${dash.port}` })
  t.equal(rebinding.status, 403, 'DNS rebinding: a foreign Host is refused even with the token')
  t.match(rebinding.body, /DNS rebinding/)
  t.equal((await raw('/', { Host: 'evil.example' })).status, 403, 'and for the page too')
  t.equal((await raw('/api/containers/json', { ...bearer, Origin: 'http://evil.example' })).status, 403, 'another origin')
  t.equal((await raw('/api/containers/json', { ...bearer, Origin: `http://127.0.0.1:${dash.port + 1}` })).status, 403, 'another port of 127.0.0.1 is another origin')
  t.equal((await raw('/api/containers/json', { ...bearer, 'Sec-Fetch-Site': 'cross-site' })).status, 403, 'Sec-Fetch-Site: cross-site')
  t.equal((await raw('/api/containers/json', { ...bearer, Host: `localhost:${dash.port}`, Origin: `http://localhost:${dash.port}` })).status, 200, 'localhost is this machine too')
  t.equal((await raw('/api/containers/x/exec', bearer, 'POST')).status, 404, 'only the calls the page makes are passed on')
  t.equal((await raw('/api/images/load', bearer, 'POST')).status, 404)
  // The exec terminal: a WebSocket needs the token too, and the same origin.
  t.equal(await wsStatus({}, ['tocker-dashboard']), 401, 'terminal without the token')
  t.equal(await wsStatus({}, ['tocker-dashboard', 'token.0123456789abcdef0123456789abcdef']), 401, 'terminal with a wrong token')
  t.equal(await wsStatus({ Origin: 'http://evil.example' }, ['tocker-dashboard', `token.${dash.token}`]), 403, 'terminal from another origin')
  // Listening: 127.0.0.1 only (0100007F in /proc/net/tcp), never 0.0.0.0.
  const listening = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .filter((l) => / 0A /.test(l) && l.includes(`:${dash.port.toString(16).toUpperCase().padStart(4, '0')} `))
    .map((l) => l.trim().split(/\s+/)[1])
  t.same(listening, [`0100007F:${dash.port.toString(16).toUpperCase().padStart(4, '0')}`])
  // The browser without the token: the token page, and no data.
  await page.goto(dash.origin + '/')
  await page.waitForSelector('#token-page', WAIT)
  t.match(await page.locator('#token-page').innerText(), /access token/)
  await shot('token-required')
})

t.test('the images view lists the offline images, with layer stacks and shared layers', async (t) => {
  await page.goto(dash.url)
  await page.waitForSelector('body[data-ready]', WAIT)
  t.equal(new URL(page.url()).hash, '#/containers', 'the token left the address bar')
  await page.click('#nav-images')
  await page.waitForSelector('tr[data-ref="busybox:latest"]', WAIT)
  await page.waitForSelector('tr[data-ref="httpd:busybox"]', WAIT)
  const cells = await page.locator('tr[data-ref="busybox:latest"] td').allInnerTexts()
  t.equal(cells[0], 'busybox')
  t.equal(cells[1], 'latest')
  t.same(await page.locator('tr[data-ref="httpd:busybox"] td').first().innerText(), 'httpd')
  const id = (await env.ok(['images', '--format', '{{.ID}}', 'busybox'])).trim()
  t.equal(cells[2], id, 'the image ID as `tocker images` prints it')
  t.match(cells[4], /^\d+(\.\d+)?[kMG]?B$/, 'size')
  // httpd:busybox is busybox's layer + its own: two layers, the first shared with busybox.
  await page.click('tr[data-ref="httpd:busybox"] button[data-action=layers]')
  await page.waitForSelector('.layers[data-image="httpd:busybox"] .layer', WAIT)
  const layers = page.locator('.layers[data-image="httpd:busybox"] .layer')
  t.equal(await layers.count(), 2)
  t.equal(await layers.nth(0).getAttribute('data-shared'), '1', 'the base layer is shared')
  t.match(await layers.nth(0).innerText(), /busybox:latest/, 'with busybox')
  t.equal(await layers.nth(1).getAttribute('data-shared'), '0', "the top layer is httpd's own")
  await shot('images')
})

t.test('pull by name shows live progress, and the list gains the image', async (t) => {
  // two-layer: busybox's layer (here already, from the offline busybox) and one of its own.
  const name = ref('two-layer')
  await page.fill('#pull-name', name)
  await page.click('#pull')
  await page.waitForSelector('#pull-status .done', WAIT)
  const progress = await page.locator('#pull-progress').innerText()
  t.match(progress, /Pulling from library\/two-layer/)
  t.match(progress, /Already exists/, 'the shared layer is not downloaded again')
  t.match(progress, /Pull complete/, 'the new one is')
  t.match(progress, /Digest: sha256:/)
  t.equal(await page.locator('#pull-progress .row').count(), 2, 'one progress row per layer')
  t.equal(await page.locator('#pull-progress .row .bar > span[style*="width: 100%"]').count(), 2, 'both bars full')
  // The engine's `pull` event refreshes the list: no reload.
  await page.waitForSelector(`tr[data-ref="${name}:latest"]`, WAIT)
  await shot('pull')
})

let webId = ''
t.test('Run from the page starts an httpd with a published port; its link serves the page', async (t) => {
  await page.click('tr[data-ref="httpd:busybox"] button[data-action=run]')
  await page.waitForSelector('#run-dialog', WAIT)
  await page.fill('#run-name', 'web')
  // The image exposes 80/tcp: the dialog has a row for it; give it a host port.
  const port = page.locator('#run-ports .pair').first()
  t.equal(await port.locator('input').nth(1).inputValue(), '80/tcp')
  await port.locator('input').nth(0).fill('8090')
  await page.click('#run-dialog button:text("+ Add") >> nth=2')
  await page.locator('#run-env .pair input').nth(0).fill('GREETING')
  await page.locator('#run-env .pair input').nth(1).fill('hello')
  t.equal(await page.locator('#run-cmdline').innerText(), 'The same as: tocker run -d --name web -p 8090:80 -e GREETING=hello httpd:busybox')
  await shot('run-dialog')
  await page.click('#run-submit')
  await page.waitForSelector('#container-ports a[data-port="8090"]', WAIT)
  webId = decodeURIComponent(new URL(page.url()).hash.split('/')[2])
  t.match(webId, /^[0-9a-f]{64}$/)
  const inspect = JSON.parse(await env.ok(['inspect', 'web']))[0]
  t.equal(inspect.State.Running, true)
  t.same(inspect.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8090' }] })
  t.ok(inspect.Config.Env.includes('GREETING=hello'))
  const link = page.locator('#container-ports a[data-port="8090"]')
  t.equal(await link.getAttribute('href'), 'http://127.0.0.1:8090/')
  const [tab] = await Promise.all([context.waitForEvent('page'), link.click()])
  const body = await until(
    async () => {
      await tab.reload().catch(() => {})
      const text = await tab.locator('body').innerText().catch(() => '')
      return /It works!/.test(text) ? text : undefined
    },
    'the published port serving the httpd page',
    20_000,
  )
  t.match(body, /It works!/)
  await shot('published-port', tab)
  await tab.close()
})

let tickerId = ''
t.test('logs stream while the page is open (stdout and stderr)', async (t) => {
  tickerId = (await env.ok(['run', '-d', '--name', 'ticker', 'busybox', 'sh', '-c', 'i=0; while true; do echo "line $i"; echo "oops $i" >&2; i=$((i+1)); sleep 0.3; done'])).trim()
  await page.goto(`${dash.origin}/#/containers`)
  await page.waitForSelector('tr[data-name="ticker"]', WAIT)
  await shot('containers')
  await page.click('tr[data-name="ticker"] a.name')
  await page.waitForSelector('#logs', WAIT)
  await page.waitForFunction(() => /line 0\n/.test(document.getElementById('logs')?.textContent ?? ''), undefined, WAIT)
  // Lines written after the page opened arrive by themselves (logs -f), not by reloading.
  const later = await page.waitForFunction(
    () => {
      const m = [...(document.getElementById('logs')?.textContent ?? '').matchAll(/line (\d+)/g)]
      return m.length && Number(m.at(-1)![1]) >= 8 ? m.length : 0
    },
    undefined,
    WAIT,
  )
  t.ok(Number(await later.jsonValue()) >= 8)
  t.match(await page.locator('#logs .err').first().innerText(), /oops \d+/, 'stderr is marked')
  await shot('logs')
})

t.test('the exec terminal runs hostname and shows the container id', async (t) => {
  await page.click('a[data-tab=terminal]')
  await page.waitForSelector('#terminal .xterm-rows', WAIT)
  await page.waitForFunction(() => /#\s*$/m.test(document.querySelector('#terminal .xterm-rows')?.textContent ?? ''), undefined, WAIT)
  await page.click('#terminal')
  await page.keyboard.type('hostname\n')
  const shown = await page.waitForFunction((id: string) => (document.querySelector('#terminal .xterm-rows') as HTMLElement | null)?.innerText.includes(id), tickerId.slice(0, 12), WAIT)
  t.ok(await shown.jsonValue(), 'the container id (its host name) is on the terminal')
  // A real pty: `tty` names a pts, and the size is the page's.
  await page.keyboard.type('tty; stty size\n')
  await page.waitForFunction(() => /\/dev\/pts\/\d+\s+\d+ \d+/.test((document.querySelector('#terminal .xterm-rows') as HTMLElement | null)?.innerText ?? ''), undefined, WAIT)
  await shot('terminal')
  await page.keyboard.type('exit\n')
  await page.waitForFunction(() => /exited with code 0/.test((document.querySelector('#terminal .xterm-rows') as HTMLElement | null)?.innerText ?? ''), undefined, WAIT)
  t.pass('exit ends the shell and the page says its exit code')
})

t.test("the x-ray: own net/pid/mnt/uts namespaces, the overlay with the image's layer count", async (t) => {
  const probe = await raw(`/api/containers/${webId}/kernel`, bearer)
  await page.goto(`${dash.origin}/#/containers/${webId}/xray`)
  if (probe.status === 404 && /page not found/.test(probe.body)) {
    // An engine without the route (teach-explain's GET /containers/{id}/kernel not landed yet): the
    // tab says so plainly instead of drawing nothing.
    t.comment("GET /containers/{id}/kernel is not in this engine: only the x-ray's fallback is checked")
    await page.waitForSelector('#xray-error', WAIT)
    t.equal(await page.locator('#xray-error').innerText(), 'This engine has no kernel view (GET /containers/{id}/kernel).')
    return
  }
  await page.waitForSelector('#xray-namespaces', WAIT)
  for (const ns of ['net', 'pid', 'mnt', 'uts']) {
    const row = page.locator(`#xray-namespaces tr[data-ns="${ns}"]`)
    t.equal(await row.getAttribute('data-shared'), '0', `${ns}: a namespace of its own`)
    const [, , container, host] = await row.locator('td').allInnerTexts()
    t.not(container, host, `${ns}: its inode differs from the host's`)
  }
  const layers = JSON.parse(await env.ok(['image', 'inspect', 'httpd:busybox']))[0].RootFS.Layers.length
  t.equal(await page.locator('#xray-overlay').getAttribute('data-layers'), String(layers), 'as many lower layers as the image has')
  t.equal(await page.locator('#xray-overlay .layer.lower').count(), layers)
  t.equal(await page.locator('#xray-overlay .layer.upper').count(), 1)
  // The container's own init layer (Docker's "-init") between the image's layers and the upper one.
  t.equal(await page.locator('#xray-overlay .layer.init').count(), 1, "the init layer, drawn apart from the image's")
  t.match(await page.locator('#xray-rules').innerText(), /--dport 8090\b.*-j DNAT --to-destination [\d.]+:80\b/, 'the DNAT rule of -p 8090:80')
  t.match(await page.locator('#xray-merged-note').innerText(), /^\S+\/rootfs is only the mount point.*sudo ls \/proc\/\d+\/root\/ \(or: tocker exec web ls \/\)\.$/, "where to see the merged tree, in the page's language only")
  t.match(await page.locator('#xray-seccomp').innerText(), /filter/, 'seccomp on')
  await shot('xray', page, true)
})

t.test('stop, start, restart and remove from the page', async (t) => {
  await page.goto(`${dash.origin}/#/containers`)
  const row = () => page.locator('tr[data-name="web"]')
  await page.waitForSelector('tr[data-name="web"] button[data-action=stop]', WAIT)
  await row().locator('button[data-action=stop]').click()
  // The engine's `die` event updates the row: no reload.
  await page.waitForSelector('tr[data-name="web"] .state.exited', WAIT)
  t.equal(JSON.parse(await env.ok(['inspect', 'web']))[0].State.Running, false)
  await row().locator('button[data-action=start]').click()
  await page.waitForSelector('tr[data-name="web"] .state.running', WAIT)
  t.equal(JSON.parse(await env.ok(['inspect', 'web']))[0].State.Running, true)
  const before = JSON.parse(await env.ok(['inspect', 'web']))[0].State.StartedAt
  await row().locator('button[data-action=restart]').click()
  await until(async () => JSON.parse(await env.ok(['inspect', 'web']))[0].State.StartedAt !== before, 'restart')
  await page.waitForSelector('tr[data-name="web"] .state.running', WAIT)
  await row().locator('button[data-action=delete]').click()
  await page.waitForSelector('tr[data-name="web"]', { state: 'detached', timeout: 30_000 })
  t.equal((await env.tocker(['inspect', 'web'])).code, 1, 'gone from the engine')
})

t.test('an image in use is refused as Docker words it', async (t) => {
  await page.click('#nav-images')
  await page.waitForSelector('tr[data-ref="busybox:latest"] button[data-action=delete]', WAIT)
  await page.click('tr[data-ref="busybox:latest"] button[data-action=delete]')
  await page.waitForSelector('#banner:not([hidden]) #banner-message', WAIT)
  const message = await page.locator('#banner-message').innerText()
  const cli = await env.tocker(['rmi', 'busybox:latest'])
  t.equal(cli.code, 1)
  t.equal(`Error response from daemon: ${message}\n`, cli.stderr.split('\n')[0] + '\n', 'the same sentence as `tocker rmi`')
  t.match(message, /^conflict: unable to (remove repository reference|delete)/)
  t.match(message, new RegExp(tickerId.slice(0, 12)), 'naming the container that uses it')
  t.ok(await page.locator('tr[data-ref="busybox:latest"]').count(), 'still listed')
  await shot('image-in-use')
})

t.test("an unused image is deleted from the page (the tutorials' rmi)", async (t) => {
  const pulled = `${ref('two-layer')}:latest`
  await page.click('#nav-images')
  await page.waitForSelector(`tr[data-ref="${pulled}"] button[data-action=delete]`, WAIT)
  await page.click(`tr[data-ref="${pulled}"] button[data-action=delete]`)
  // The engine's `delete` event takes the row away: no reload.
  await page.waitForSelector(`tr[data-ref="${pulled}"]`, { state: 'detached', timeout: 30_000 })
  t.equal((await env.tocker(['image', 'inspect', pulled])).code, 1, 'gone from the engine')
  t.ok(await page.locator('tr[data-ref="busybox:latest"]').count(), 'busybox, whose layer it shared, stays')
  t.ok(await page.locator('#banner[hidden]').count(), 'no error shown')
})

t.test('labels in Korean from the same catalogue', async (t) => {
  await page.goto(`${dash.origin}/#/containers`)
  await page.waitForSelector('body[data-ready]', WAIT)
  await page.click('#lang')
  t.equal(await page.locator('#nav-containers').innerText(), '컨테이너')
  t.equal(await page.locator('#nav-images').innerText(), '이미지')
  await page.waitForSelector('tr[data-name="ticker"]', WAIT)
  t.match(await page.locator('#containers thead').innerText(), /이름/)
  await shot('containers-ko')
  await page.click('#lang')
  t.equal(await page.locator('#nav-containers').innerText(), 'Containers')
})

t.test('the engine down: said plainly, and the page comes back with it', async (t) => {
  await page.goto(`${dash.origin}/#/containers`)
  await page.waitForSelector('#engine.up', WAIT)
  await env.stopEngine()
  await page.waitForSelector('#engine.down', WAIT)
  await page.waitForFunction(() => /Cannot connect/.test(document.getElementById('banner')?.innerText ?? ''), undefined, WAIT)
  t.match(await page.locator('#banner').innerText(), new RegExp(`Cannot connect to the tocker engine at unix://${env.socket}\\. Is the tocker engine running\\?`))
  t.match(await page.locator('#banner').innerText(), /sudo tocker daemon/)
  const api = await raw('/api/containers/json', bearer)
  t.equal(api.status, 502)
  t.match(JSON.parse(api.body), { engineDown: true })
  await shot('engine-down')
  await env.startEngine()
  await page.waitForSelector('#engine.up', { timeout: 40_000 })
  await page.waitForSelector('#banner', { state: 'hidden', timeout: 30_000 })
  await page.waitForSelector('tr[data-name="ticker"] .state.running', WAIT)
  t.pass('reconnected by itself; the re-adopted container is listed')
})

t.test('no page error; Ctrl-C stops the dashboard', async (t) => {
  t.same(pageErrors, [], 'no uncaught error in the page')
  await context.close()
  t.equal(await dash.stop(), 0)
  await cleanup()
})
