// Where the CLI looks for an engine (src/api/socket.ts): the default socket for the default store,
// <root>/tocker.sock for any other, -H / TOCKER_HOST first. The paths under --root are written
// without path.join where the root is already normal; they must be join's, whatever the root.
import t from 'tap'
import { join } from 'node:path'
import { DEFAULT_PIDFILE, DEFAULT_SOCKET, engineAddress } from '../../../src/api/socket.js'

t.test('a --root: its paths are what path.join makes of it, normal or not', async (t) => {
  const roots = ['/tmp/x', '/tmp/x/', '/tmp/x//', 'store', 'a/b', './store', '../store', '/tmp/./x', '/tmp/../x', '/tmp//x', '/', '.', '..', '/x/.hidden', '/x/..y', '/x/y.', '/x/.', '/x/..', '']
  for (const root of roots) {
    t.same(engineAddress(root), { socket: join(root, 'tocker.sock'), pidFile: join(root, 'tockerd.pid') }, JSON.stringify(root))
  }
})

t.test('the default store (with or without a trailing slash), and -H', async (t) => {
  t.same(engineAddress('/var/lib/tocker'), { socket: DEFAULT_SOCKET, pidFile: DEFAULT_PIDFILE })
  t.same(engineAddress('/var/lib/tocker/'), { socket: DEFAULT_SOCKET, pidFile: DEFAULT_PIDFILE })
  t.same(engineAddress('/tmp/x', 'unix:///run/other.sock'), { socket: '/run/other.sock', pidFile: '/tmp/x/tockerd.pid' })
  t.throws(() => engineAddress('/tmp/x', 'tcp://127.0.0.1:2375'), { code: 'EHOST' })
})
