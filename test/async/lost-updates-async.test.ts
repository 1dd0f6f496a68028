// detectLostUpdates over async maps: SharedMap.async() and a RedisMap on a real
// standalone redis-server (node-redis and ioredis), started here. The seed-004
// patterns with real awaits (get/await/set, check-then-act across await, a timer
// callback writing what its owner read) are reported, including the write that
// overwrote one still in flight when it was sent; the same programs fixed with
// update(), a compareAndSwap loop, getVersioned/setIfVersion or a KeyedMutex, and
// tasks that never overlap, are not.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { ABSENT_VERSION, detectLostUpdates, KeyedMutex, SharedMap, type AsyncConcurrentMap, type LostUpdateReport } from '../../src/index.js'
import { RedisMap } from '../../src/redis/index.js'
import { startRedis, type RedisServer } from '../helpers/redis-servers.js'
import { CLIENT_KINDS, connect, type Connected } from '../redis/clients.js'
import { sleep, withCode } from '../helpers/workers.js'

type Counters = AsyncConcurrentMap<string, number>

interface Backend {
  readonly name: string
  open(): Counters
}

let server: RedisServer
const conns: Connected[] = []
let maps = 0

before(async () => {
  server = await startRedis()
  for (const kind of CLIENT_KINDS) conns.push(await connect(kind, server))
})

after(async () => {
  for (const conn of conns) await conn.close()
  await server.stop()
})

const backends: readonly Backend[] = [
  { name: 'SharedMap.async()', open: () => new SharedMap<string, number>({ codec: 'structured', ttl: Infinity }).async() },
  ...CLIENT_KINDS.map((kind, i) => ({
    name: `RedisMap, ${kind}`,
    open: () => new RedisMap<string, number>({ client: (conns[i] as Connected).client, name: `lost-${maps++}` }),
  })),
]

function counting(map: Counters): { map: Counters & { readonly lostUpdates: number }; reports: LostUpdateReport<string>[] } {
  const reports: LostUpdateReport<string>[] = []
  return { map: detectLostUpdates(map, { mode: 'count', onLostUpdate: (r) => reports.push(r) }), reports }
}

async function racyIncrement(m: Counters, key: string, pause: number): Promise<void> {
  const n = (await m.get(key)) ?? 0
  await sleep(pause)
  await m.set(key, n + 1)
}

for (const backend of backends) {
  describe(`detectLostUpdates over ${backend.name}`, { timeout: 30_000 }, () => {
    test('get, await, set: the second writer is reported with the key and the three stacks', async () => {
      const { map, reports } = counting(backend.open())
      await Promise.all([racyIncrement(map, 'hits', 5), racyIncrement(map, 'hits', 40)])
      assert.equal(await map.get('hits'), 1, 'one increment was lost')
      assert.equal(map.lostUpdates, 1)
      const [report] = reports
      assert.ok(report !== undefined)
      assert.equal(report.key, 'hits')
      for (const stack of [report.readStack, report.otherWriteStack, report.writeStack]) assert.match(stack, /racyIncrement/)
      assert.match(report.fix, /setIfVersion/)
    })

    test('a write that overwrote one still in flight when it was sent is reported when it resolves', async () => {
      const { map, reports } = counting(backend.open())
      // Both tasks read, then both send their write in the same turn: at the second send
      // the first write has not resolved yet, so only the check on resolution can see it.
      let release: () => void = () => undefined
      const gate = new Promise<void>((resolve) => (release = resolve))
      let reads = 0
      const task = async () => {
        const n = (await map.get('k')) ?? 0
        if (++reads === 2) release()
        await gate
        await map.set('k', n + 1)
      }
      await Promise.all([task(), task()])
      assert.equal(await map.get('k'), 1)
      assert.equal(map.lostUpdates, 1)
      assert.match(reports[0]?.message ?? '', /already sent/)
    })

    test("mode 'throw': a lost update seen at issue rejects and leaves the other task's write", async () => {
      const map = detectLostUpdates(backend.open(), { mode: 'throw' })
      const outcomes = await Promise.allSettled([racyIncrement(map, 'k', 5), racyIncrement(map, 'k', 40)])
      assert.equal(outcomes[0].status, 'fulfilled')
      assert.equal(outcomes[1].status, 'rejected')
      assert.ok(withCode('ERR_LOST_UPDATE')((outcomes[1] as PromiseRejectedResult).reason))
      assert.equal(await map.get('k'), 1)
    })

    test("mode 'throw' on an async map: the write's promise rejects (no throw at the call), nothing is sent", async () => {
      const map = detectLostUpdates(backend.open(), { mode: 'throw' })
      const seen = (await map.get('k')) ?? 0
      await (async function other() {
        await map.set('k', 8)
      })()
      let call: Promise<void> | undefined
      assert.doesNotThrow(() => {
        call = map.set('k', seen + 1)
      })
      assert.ok(call instanceof Promise)
      await assert.rejects(call, withCode('ERR_LOST_UPDATE'))
      assert.equal(await map.get('k'), 8)
      assert.equal(map.lostUpdates, 1)
    })

    test('check-then-act across await is reported', async () => {
      const { map } = counting(backend.open())
      const claim = async (owner: number, pause: number) => {
        if (!(await map.has('lock'))) {
          await sleep(pause)
          await map.set('lock', owner)
        }
      }
      await Promise.all([claim(1, 5), claim(2, 40)])
      assert.equal(await map.get('lock'), 2)
      assert.equal(map.lostUpdates, 1)
    })

    test('a timer callback writing what its owner read, after another task wrote', async () => {
      const { map, reports } = counting(backend.open())
      await map.set('seen', 0)
      let timerDone: Promise<void> = Promise.resolve()
      const owner = async () => {
        const seen = (await map.get('seen')) ?? 0
        // Long after other() has written (its write is awaited below), even on a loaded machine.
        timerDone = new Promise((resolve, reject) => setTimeout(() => map.set('seen', seen + 1).then(resolve, reject), 150))
      }
      const other = async () => {
        await sleep(5)
        await map.set('seen', 100)
      }
      await owner()
      await other()
      await sleep(160)
      await timerDone
      assert.equal(map.lostUpdates, 1)
      assert.match(reports[0]?.otherWriteStack ?? '', /other/)
    })

    test('no report: update(), a compareAndSwap loop, setIfVersion, a KeyedMutex; exact totals', async () => {
      const { map } = counting(backend.open())
      const tasks = 12
      const locks = new KeyedMutex<string>()
      await Promise.all(
        Array.from({ length: tasks }, async () => {
          await map.update('u', (n) => (n ?? 0) + 1)
          for (;;) {
            const n = (await map.get('cas')) ?? 0
            await sleep(1)
            if (n === 0 ? (await map.loadOrStore('cas', 1)).loaded === false : await map.compareAndSwap('cas', n, n + 1)) break
          }
          for (;;) {
            const seen = await map.getVersioned('ver')
            await sleep(1)
            if (await map.setIfVersion('ver', (seen?.value ?? 0) + 1, seen?.version ?? ABSENT_VERSION)) break
          }
          await locks.runExclusive('locked', async () => {
            const n = (await map.get('locked')) ?? 0
            await sleep(1)
            await map.set('locked', n + 1)
          })
        }),
      )
      assert.deepEqual(await map.getMany(['u', 'cas', 'ver', 'locked']), [tasks, tasks, tasks, tasks])
      assert.equal(map.lostUpdates, 0)
    })

    test('no report: tasks that never overlap, and concurrent tasks on keys of their own', async () => {
      const { map } = counting(backend.open())
      for (let i = 0; i < 5; i++) await racyIncrement(map, 'seq', 1)
      const keys = Array.from({ length: 8 }, (_, i) => `own${i}`)
      await Promise.all(keys.map((key, i) => racyIncrement(map, key, i % 3)))
      assert.deepEqual(await map.getMany(['seq', ...keys]), [5, ...keys.map(() => 1)])
      assert.equal(map.lostUpdates, 0)
    })
  })
}
