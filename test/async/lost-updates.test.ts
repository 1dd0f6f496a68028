// detectLostUpdates on the lost-update patterns of seed 004 and the Node.js bug
// studies, written as small programs with real awaits: get/await/set, check-then-act
// across await, a timer callback writing what its owner read after the owner moved on.
// Each is reported (key, the three stacks, the fix), thrown without a change, or
// counted; the same code fixed with a KeyedMutex, `update` or compareAndSwap, reads
// again after the await, or tasks that never overlap, are not reported.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { detectLostUpdates, KeyedMutex, SharedMap, type LostUpdateReport } from '../../src/index.js'
import { sleep, withCode } from '../helpers/workers.js'

const LIMIT = { timeout: 30_000 }

function counting<K, V>(map: Map<K, V> = new Map()): { map: Map<K, V> & { readonly lostUpdates: number }; reports: LostUpdateReport<K>[] } {
  const reports: LostUpdateReport<K>[] = []
  return { map: detectLostUpdates(map, { mode: 'count', onLostUpdate: (r) => reports.push(r) }), reports }
}

async function racyIncrement(m: Map<string, number>, key: string, pause: number): Promise<void> {
  const n = m.get(key) ?? 0
  await sleep(pause)
  m.set(key, n + 1)
}

test('get, await, set: the second writer is reported with the key, three stacks and the fix', LIMIT, async () => {
  const { map, reports } = counting<string, number>()
  await Promise.all([racyIncrement(map, 'hits', 5), racyIncrement(map, 'hits', 10)])
  assert.equal(map.get('hits'), 1, 'one increment was lost')
  assert.equal(map.lostUpdates, 1)
  const [report] = reports
  assert.ok(report !== undefined)
  assert.equal(report.key, 'hits')
  for (const stack of [report.readStack, report.otherWriteStack, report.writeStack]) assert.match(stack, /racyIncrement/)
  assert.match(report.readStack, /lost-updates\.test\.js/, 'stacks start in the caller, not in the detector')
  assert.doesNotMatch(report.readStack, /src\/async\/lost-updates/)
  assert.match(report.fix, /update/)
  assert.match(report.fix, /compareAndSwap/)
  assert.match(report.fix, /KeyedMutex/)
  assert.match(report.message, /lost update of key string "hits"/)
})

test("mode 'throw': ERR_LOST_UPDATE, and the map keeps the other task's write", LIMIT, async () => {
  const map = detectLostUpdates(new Map<string, number>(), { mode: 'throw' })
  const outcomes = await Promise.allSettled([racyIncrement(map, 'k', 5), racyIncrement(map, 'k', 10)])
  assert.equal(outcomes[0].status, 'fulfilled')
  assert.equal(outcomes[1].status, 'rejected')
  assert.ok(withCode('ERR_LOST_UPDATE')((outcomes[1] as PromiseRejectedResult).reason))
  assert.equal(map.get('k'), 1)
  assert.equal(map.lostUpdates, 1)
})

test("mode 'warn' (the default): a process warning of type LostUpdateWarning", LIMIT, async () => {
  const warnings: Error[] = []
  const listener = (warning: Error): void => void warnings.push(warning)
  process.on('warning', listener)
  try {
    const map = detectLostUpdates(new Map<string, number>())
    await Promise.all([racyIncrement(map, 'k', 2), racyIncrement(map, 'k', 4)])
    await sleep(1)
  } finally {
    process.off('warning', listener)
  }
  assert.equal(warnings.length, 1)
  assert.equal(warnings[0]?.name, 'LostUpdateWarning')
  assert.equal((warnings[0] as Error & { code?: string }).code, 'ERR_LOST_UPDATE')
  assert.throws(() => detectLostUpdates(new Map(), { mode: 'loud' as never }), withCode('ERR_INVALID_ARGUMENT'))
  assert.throws(() => detectLostUpdates({} as never), withCode('ERR_INVALID_ARGUMENT'))
})

test('1000 concurrent racy increments are reported; under a KeyedMutex none is, and the total is exact', LIMIT, async () => {
  const racy = counting<string, number>()
  await Promise.all(Array.from({ length: 1000 }, (_, i) => racyIncrement(racy.map, 'n', i % 4)))
  assert.ok(racy.map.lostUpdates > 0)
  assert.ok((racy.map.get('n') ?? 0) < 1000)

  const fixed = counting<string, number>()
  const locks = new KeyedMutex()
  await Promise.all(Array.from({ length: 1000 }, (_, i) => locks.runExclusive('n', () => racyIncrement(fixed.map, 'n', i % 4))))
  assert.equal(fixed.map.get('n'), 1000)
  assert.equal(fixed.map.lostUpdates, 0, fixed.reports[0]?.message)
})

test('check-then-act across await is reported', LIMIT, async () => {
  const { map } = counting<string, string>()
  const claim = async (owner: string, pause: number): Promise<void> => {
    if (map.has('job')) return
    await sleep(pause)
    map.set('job', owner)
  }
  await Promise.all([claim('a', 3), claim('b', 6)])
  assert.equal(map.lostUpdates, 1)
})

test('a timer callback writing what its owner read, after the owner moved on and another task wrote', LIMIT, async () => {
  const { map, reports } = counting<string, { user: string; seen: number }>()
  map.set('session', { user: 'ann', seen: 0 })
  const owner = (): void => {
    const session = map.get('session')
    setTimeout(() => map.set('session', { user: session?.user ?? '', seen: (session?.seen ?? 0) + 1 }), 20)
  }
  const other = async (): Promise<void> => {
    await sleep(5)
    map.set('session', { user: 'bob', seen: 0 })
  }
  owner()
  await other()
  await sleep(40)
  assert.equal(map.lostUpdates, 1)
  assert.match(reports[0]?.otherWriteStack ?? '', /other/)
})

test('no report: read and write with no await between, under 200 interleaved tasks', LIMIT, async () => {
  const { map } = counting<string, number>()
  await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      for (let round = 0; round < 5; round++) {
        map.set('n', (map.get('n') ?? 0) + 1)
        await sleep(i % 3)
      }
    }),
  )
  assert.equal(map.get('n'), 1000)
  assert.equal(map.lostUpdates, 0)
})

test('no report: a task that reads the key again after its await', LIMIT, async () => {
  const { map } = counting<string, number>()
  const careful = async (pause: number): Promise<void> => {
    const before = map.get('n') ?? 0
    await sleep(pause)
    const now = map.get('n') ?? 0
    map.set('n', Math.max(before, now) + 1)
  }
  await Promise.all([careful(5), careful(10), careful(1)])
  assert.equal(map.get('n'), 3)
  assert.equal(map.lostUpdates, 0)
})

test('no report: tasks that never overlap, and a caller writing after its callee read and wrote', LIMIT, async () => {
  const { map } = counting<string, number>()
  for (let i = 0; i < 5; i++) await racyIncrement(map, 'n', 1)
  map.set('n', 100)
  await racyIncrement(map, 'n', 1)
  // Two timer callbacks, the second scheduled once the first is done (a fixed 20 ms apart overlapped when a loaded machine stretched the first's 1 ms sleep).
  await new Promise<void>((resolve) => {
    setTimeout(() => void racyIncrement(map, 'n', 1).then(() => setTimeout(() => void racyIncrement(map, 'n', 1).then(resolve), 0)), 0)
  })
  map.delete('n')
  assert.equal(map.lostUpdates, 0)
})

test('SharedMap: get/await/set is reported; update and a compareAndSwap loop are not', LIMIT, async () => {
  const shared = new SharedMap<string, number>()
  const reports: LostUpdateReport<string>[] = []
  const map = detectLostUpdates(shared, { mode: 'count', onLostUpdate: (r) => reports.push(r) })
  await Promise.all(
    [4, 8].map(async (pause) => {
      const n = map.get('racy') ?? 0
      await sleep(pause)
      map.set('racy', n + 1)
    }),
  )
  assert.equal(map.lostUpdates, 1)
  await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      await sleep(i % 3)
      map.update('updated', (n) => (n ?? 0) + 1)
      let n = map.get('cas') ?? 0
      await sleep(i % 2)
      if (!map.has('cas')) map.loadOrStore('cas', 0)
      while (!map.compareAndSwap('cas', n, n + 1)) n = map.get('cas') ?? 0
    }),
  )
  assert.equal(map.get('updated'), 50)
  assert.equal(map.get('cas'), 50)
  assert.equal(map.lostUpdates, 1, reports.slice(1).map((r) => r.message).join('\n'))
  // An atomic write counts for the others: a plain set after it, of a read before it, is lost.
  const stale = map.get('updated')
  await sleep(1)
  await Promise.resolve().then(() => map.update('updated', (n) => (n ?? 0) + 1))
  map.set('updated', (stale ?? 0) + 1)
  assert.equal(map.lostUpdates, 2)
})

test('the wrapper keeps the map API: chaining, size, iteration, instanceof, clear', LIMIT, async () => {
  const plain = new Map<string, number>()
  const map = detectLostUpdates(plain)
  assert.equal(map.set('a', 1).set('b', 2), map)
  assert.ok(map instanceof Map)
  assert.equal(map.size, 2)
  assert.deepEqual([...map], [['a', 1], ['b', 2]])
  assert.deepEqual([...map.keys()], ['a', 'b'])
  let sum = 0
  map.forEach((v) => (sum += v))
  assert.equal(sum, 3)
  const n = map.get('a') ?? 0
  await sleep(1)
  map.clear()
  await sleep(1)
  const { map: counted } = counting(plain)
  counted.set('a', n)
  assert.equal(map.lostUpdates, 0)
  const other = detectLostUpdates(new Map<string, number>(), { mode: 'count' })
  const before = other.get('x')
  await sleep(1)
  await Promise.resolve().then(() => other.clear())
  other.set('x', (before ?? 0) + 1)
  assert.equal(other.lostUpdates, 1, 'a clear is a write of every key')
})

test('a read is remembered across many awaits of its task', LIMIT, async () => {
  const { map } = counting<string, number>()
  const slow = async (): Promise<void> => {
    const n = map.get('k') ?? 0
    for (let i = 0; i < 50; i++) {
      map.get(`other:${i}`)
      await null
    }
    map.set('k', n + 1)
  }
  const fast = async (): Promise<void> => {
    await null
    map.set('k', 100)
  }
  await Promise.all([slow(), fast()])
  assert.equal(map.lostUpdates, 1)
})
