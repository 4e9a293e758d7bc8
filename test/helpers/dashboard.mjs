// For the dashboard's tests and benchmark (plain JS so the .mjs benchmark can use it too):
//   - startDashboard(root, env): `tocker --root ROOT dashboard --port 0` with a fixed token, resolves
//     once it printed its address: { url, origin, port, token, child, stop() };
//   - launchBrowser(): Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`, listed in
//     bin/lab's test packages) driven headless by playwright-core, never a downloaded browser. The
//     flags keep it off the network (this machine has none: without them Chromium keeps trying
//     Google's hosts) and let it run as root.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const TOCKER = fileURLToPath(new URL('../../bin/tocker', import.meta.url))
export const CHROMIUM = '/usr/bin/chromium'

export function startDashboard(root, extraEnv = {}) {
  const token = randomBytes(16).toString('hex')
  const child = spawn(process.execPath, [TOCKER, '--root', root, 'dashboard', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TOCKER_NO_AUTOSTART: '1', TOCKER_DASHBOARD_TOKEN: token, ...extraEnv },
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tocker dashboard printed no address in 30 s: ${out}${err}`)), 30_000)
    child.stdout.on('data', (d) => {
      out += d
      const m = /http:\/\/127\.0\.0\.1:(\d+)\/#token=([\w-]+)/.exec(out)
      if (!m) return
      clearTimeout(timer)
      resolve({
        url: m[0],
        origin: `http://127.0.0.1:${m[1]}`,
        port: Number(m[1]),
        token: m[2],
        child,
        output: () => out + err,
        stop: () =>
          new Promise((r) => {
            if (child.exitCode !== null || child.signalCode !== null) return r(child.exitCode)
            child.once('exit', (code) => r(code))
            child.kill('SIGTERM')
          }),
      })
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`tocker dashboard exited ${code}: ${out}${err}`))
    })
  })
}

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (bin/lab test does)`)
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
}
