// The ephemeral port range ("-p 80" picks its host port there): read from the kernel's sysctl file;
// only its absence means Docker's default, any other failure is an error.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dynamicPortRange } from '../../../src/network/port-reservation.js'

const dir = mkdtempSync(join(tmpdir(), 'tocker-port-range-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test("the kernel's range, as the file says it", async (t) => {
  writeFileSync(join(dir, 'range'), '32768\t60999\n')
  t.same(dynamicPortRange(join(dir, 'range')), [32768, 60999])
  t.same(dynamicPortRange(), dynamicPortRange('/proc/sys/net/ipv4/ip_local_port_range'), 'the default path is the sysctl')
})

t.test("no such file: Docker's default range", async (t) => {
  t.same(dynamicPortRange(join(dir, 'absent')), [49153, 65535])
})

t.test('a file that cannot be read, or says no range: an error, not the default', async (t) => {
  t.throws(() => dynamicPortRange(dir), /reading the ephemeral port range .*EISDIR/)
  writeFileSync(join(dir, 'garbage'), 'sixty\n')
  t.throws(() => dynamicPortRange(join(dir, 'garbage')), /not a port range: "sixty"/)
})
