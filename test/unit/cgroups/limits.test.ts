// Docker's flags → cgroup v2 files, and Docker's refusals, without touching the kernel.
import t from 'tap'
import { cpuSharesToWeight, cpusToCpuMax, limitFiles, requestedLimits, validateLimits } from '../../../src/cgroups/index.js'
import { TockerError } from '../../../src/errors.js'

const MiB = 1024 * 1024

t.test('--cpu-shares maps onto cpu.weight like runc (min, default and max exactly)', async (t) => {
  t.equal(cpuSharesToWeight(2), 1)
  t.equal(cpuSharesToWeight(1024), 100, "Docker's default shares give v2's default weight")
  t.equal(cpuSharesToWeight(262144), 10000)
  t.equal(cpuSharesToWeight(512), 59)
  t.equal(cpuSharesToWeight(2048), 174)
  t.equal(cpuSharesToWeight(1), 1, 'below the v1 minimum clamps')
  t.equal(cpuSharesToWeight(1_000_000), 10000, 'above the v1 maximum clamps')
  let previous = 0
  for (let s = 2; s <= 262144; s *= 2) {
    const w = cpuSharesToWeight(s)
    t.ok(w > previous && w >= 1 && w <= 10000, `weight rises with shares (${s} → ${w})`)
    previous = w
  }
})

t.test('--cpus becomes a quota per 100 ms period', async (t) => {
  t.equal(cpusToCpuMax(0.5), '50000 100000')
  t.equal(cpusToCpuMax(1.5), '150000 100000')
  t.equal(cpusToCpuMax(0.01), '1000 100000', 'the kernel minimum quota (1 ms)')
})

t.test('limitFiles: one file per limit, swap per the contract', async (t) => {
  t.same(limitFiles({}), [])
  t.same(
    limitFiles({ memoryBytes: 64 * MiB, cpus: 0.5, cpuShares: 512, pidsLimit: 20 }).map((f) => [f.file, f.value]),
    [
      ['memory.max', String(64 * MiB)],
      ['memory.swap.max', '0'],
      ['cpu.max', '50000 100000'],
      ['cpu.weight', '59'],
      ['pids.max', '20'],
    ],
  )
  t.same(limitFiles({ memoryBytes: 64 * MiB, memorySwapBytes: 96 * MiB })[1], { file: 'memory.swap.max', value: String(32 * MiB), controller: 'memory' })
  t.same(limitFiles({ memoryBytes: 64 * MiB, memorySwapBytes: -1 })[1].value, 'max', '--memory-swap -1: unlimited swap')
  t.same(limitFiles({ pidsLimit: -1 }), [{ file: 'pids.max', value: 'max', controller: 'pids' }], '--pids-limit -1 / 0: unlimited')
  t.same(limitFiles({ pidsLimit: 0 })[0].value, 'max')
})

t.test('requestedLimits names only the limits that were set', async (t) => {
  t.same(requestedLimits(undefined), [])
  t.same(requestedLimits({}), [])
  t.same(requestedLimits({ memoryBytes: undefined, pidsLimit: 5 }), ['pidsLimit'])
})

t.test("validateLimits refuses what Docker's daemon refuses, with its words", async (t) => {
  const refused = (limits: Parameters<typeof validateLimits>[0], message: string | RegExp) => {
    try {
      validateLimits(limits)
      t.fail(`accepted ${JSON.stringify(limits)}`)
    } catch (err) {
      t.type(err, TockerError)
      t.match((err as Error).message, message)
      t.equal((err as TockerError).daemon, true)
      t.equal((err as TockerError).status, 400)
    }
  }
  refused({ memoryBytes: 1 * MiB }, 'Minimum memory limit allowed is 6MB')
  refused({ memorySwapBytes: 10 * MiB }, 'You should always set the Memory limit when using Memoryswap limit, see usage')
  refused({ memoryBytes: 64 * MiB, memorySwapBytes: 32 * MiB }, 'Minimum memoryswap limit should be larger than memory limit, see usage')
  refused({ cpus: 0.001 }, /^Range of CPUs is from 0.01 to \d+\.00, as there are only \d+ CPUs available$/)
  refused({ cpus: 100000 }, /^Range of CPUs is from 0.01/)
  refused({ cpuShares: -5 }, /--cpu-shares/)
  refused({ memoryBytes: NaN }, /invalid value for --memory/)
  t.doesNotThrow(() => validateLimits({ memoryBytes: 6 * MiB, memorySwapBytes: -1, cpus: 0.5, cpuShares: 1024, pidsLimit: -1 }))
})
