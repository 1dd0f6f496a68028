// The map contract as one async suite: the same tests over every AsyncConcurrentMap a
// backend's factory opens (SharedMap.async() for each strategy, RedisMap on a server or a
// cluster with each client). A backend passes when its map behaves as the contract says.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { AsyncConcurrentMap } from '../../src/async-map/index.js'
import type { Key } from '../../src/codec/index.js'
import { ABSENT_VERSION } from '../../src/map/index.js'

export interface Backend {
  /** A fresh, empty map (cache operations enabled: a ttl option is accepted). */
  open(): AsyncConcurrentMap<Key, any>
  close(): Promise<void>
}

const withCode = (code: string) => (err: unknown) => (err as { code?: string }).code === code
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function contract(name: string, setup: () => Promise<Backend>): void {
  describe(`contract: ${name}`, { timeout: 60_000 }, () => {
    let backend: Backend
    before(async () => {
      backend = await setup()
    })
    after(async () => {
      await backend.close()
    })
    const open = () => backend.open()

    test('get, set, has, delete, size, clear', async () => {
      const map = open()
      assert.equal(await map.get('a'), undefined)
      await map.set('a', { n: 1, tags: ['x'] })
      await map.set('b', 2)
      assert.deepEqual(await map.get('a'), { n: 1, tags: ['x'] })
      assert.equal(await map.has('b'), true)
      assert.equal(await map.has('c'), false)
      assert.equal(await map.size(), 2)
      assert.equal(await map.delete('b'), true)
      assert.equal(await map.delete('b'), false)
      await map.clear()
      assert.equal(await map.size(), 0)
      assert.equal(await map.get('a'), undefined)
    })

    test('keys compare with SameValueZero: 1, "1" and 1n differ; -0 is 0; NaN is NaN', async () => {
      const map = open()
      await map.set(1, 'number')
      await map.set('1', 'string')
      await map.set(1n, 'bigint')
      await map.set(-0, 'zero')
      await map.set(NaN, 'nan')
      assert.equal(await map.size(), 5)
      assert.deepEqual(await map.getMany([1, '1', 1n, 0, Number.NaN]), ['number', 'string', 'bigint', 'zero', 'nan'])
    })

    test("loadOrStore, loadAndDelete, swap: Go's results", async () => {
      const map = open()
      assert.deepEqual(await map.loadOrStore('k', 1), { value: 1, loaded: false })
      assert.deepEqual(await map.loadOrStore('k', 2), { value: 1, loaded: true })
      assert.deepEqual(await map.swap('k', 3), { previous: 1, loaded: true })
      assert.deepEqual(await map.swap('new', 4), { previous: undefined, loaded: false })
      assert.deepEqual(await map.loadAndDelete('k'), { value: 3, loaded: true })
      assert.deepEqual(await map.loadAndDelete('k'), { value: undefined, loaded: false })
      assert.equal(await map.has('k'), false)
    })

    test('compareAndSwap and compareAndDelete compare encodings', async () => {
      const map = open()
      await map.set('k', { a: 1 })
      assert.equal(await map.compareAndSwap('k', { a: 2 }, { a: 3 }), false)
      assert.equal(await map.compareAndSwap('k', { a: 1 }, { a: 3 }), true)
      assert.deepEqual(await map.get('k'), { a: 3 })
      assert.equal(await map.compareAndSwap('absent', 1, 2), false)
      assert.equal(await map.has('absent'), false)
      assert.equal(await map.compareAndDelete('k', { a: 1 }), false)
      assert.equal(await map.compareAndDelete('k', { a: 3 }), true)
      assert.equal(await map.has('k'), false)
    })

    test('update: read-modify-write, undefined deletes, a throwing fn changes nothing', async () => {
      const map = open()
      assert.equal(await map.update('n', (n) => (n ?? 0) + 1), 1)
      assert.equal(await map.update('n', (n) => n + 1), 2)
      await assert.rejects(
        map.update('n', () => {
          throw new Error('no')
        }),
        /no/,
      )
      assert.equal(await map.get('n'), 2)
      assert.equal(await map.update('n', () => undefined), undefined)
      assert.equal(await map.has('n'), false)
    })

    test('racing async increments with update and compareAndSwap end at the exact total', async () => {
      const map = open()
      const tasks = 20
      const rounds = 10
      await Promise.all(
        Array.from({ length: tasks }, async () => {
          for (let i = 0; i < rounds; i++) {
            await map.update('u', (n) => (n ?? 0) + 1)
            for (;;) {
              const n = (await map.get('c')) ?? 0
              if (n === 0 ? (await map.loadOrStore('c', 1)).loaded === false : await map.compareAndSwap('c', n, n + 1)) break
            }
          }
        }),
      )
      assert.equal(await map.get('u'), tasks * rounds)
      assert.equal(await map.get('c'), tasks * rounds)
    })

    test('versions: setIfVersion and deleteIfVersion take the version getVersioned read; ABSENT_VERSION inserts only if absent', async () => {
      const map = open()
      assert.equal(await map.getVersioned('k'), undefined)
      assert.equal(await map.deleteIfVersion('k', ABSENT_VERSION), false)
      assert.equal(await map.setIfVersion('k', 1, ABSENT_VERSION), true)
      assert.equal(await map.setIfVersion('k', 2, ABSENT_VERSION), false)
      const first = await map.getVersioned('k')
      assert.ok(first !== undefined && Number.isSafeInteger(first.version) && first.version > ABSENT_VERSION)
      assert.equal(first.value, 1)
      assert.equal(await map.setIfVersion('k', 3, first.version + 1), false)
      assert.equal(await map.setIfVersion('k', 3, first.version), true)
      assert.equal(await map.setIfVersion('k', 4, first.version), false, 'a version is good for one write')
      const second = await map.getVersioned('k')
      assert.deepEqual(second?.value, 3)
      assert.ok(second !== undefined && second.version > first.version)
      assert.equal(await map.deleteIfVersion('k', first.version), false)
      assert.equal(await map.get('k'), 3)
      assert.equal(await map.deleteIfVersion('k', second.version), true)
      assert.equal(await map.has('k'), false)
      await assert.rejects(map.setIfVersion('k', 5, -1), withCode('ERR_INVALID_ARGUMENT'))
      await assert.rejects(map.deleteIfVersion('k', 1.5), withCode('ERR_INVALID_ARGUMENT'))
      await assert.rejects(map.setIfVersion('k', 5, Number.NaN), withCode('ERR_INVALID_ARGUMENT'))
      assert.equal(await map.has('k'), false)
    })

    test('versions rise with every kind of write and never repeat, across delete, re-insert and clear()', async () => {
      const map = open()
      const seen: number[] = []
      const step = async (write: () => Promise<unknown>) => {
        await write()
        const got = await map.getVersioned('k')
        assert.ok(got !== undefined, 'the key is present after the write')
        seen.push(got.version)
      }
      await step(() => map.set('k', 1))
      await step(() => map.set('k', 1))
      await step(() => map.swap('k', 2))
      await step(() => map.compareAndSwap('k', 2, 3))
      await step(() => map.update('k', (n) => (n ?? 0) + 1))
      await step(() => map.setMany([['k', 5], ['other', 0]]))
      await map.delete('k')
      await step(() => map.loadOrStore('k', 6))
      await map.loadAndDelete('k')
      await step(() => map.getOrCompute('k', () => 7))
      await map.compareAndDelete('k', 7)
      await step(() => map.getOrComputeAsync('k', async () => 8))
      await map.clear()
      await step(() => map.set('k', 9))
      await map.update('k', () => undefined)
      await step(() => map.set('k', 10, { ttl: 60_000 }))
      for (let i = 1; i < seen.length; i++) assert.ok((seen[i] as number) > (seen[i - 1] as number), `versions in order: ${seen.join(', ')}`)
      // A write that did not happen (a failed compareAndSwap, a present loadOrStore) keeps the version.
      await map.compareAndSwap('k', 0, 11)
      await map.loadOrStore('k', 12)
      assert.equal((await map.getVersioned('k'))?.version, seen.at(-1))
    })

    test('A -> B -> A: compareAndSwap passes, setIfVersion with the version read at the first A fails', async () => {
      const map = open()
      await map.set('acct', 'A')
      const read = await map.getVersioned('acct')
      assert.ok(read !== undefined)
      await map.set('acct', 'B')
      await map.set('acct', 'A')
      assert.equal(await map.setIfVersion('acct', 'C', read.version), false)
      assert.equal(await map.deleteIfVersion('acct', read.version), false)
      assert.equal(await map.get('acct'), 'A')
      assert.equal(await map.compareAndSwap('acct', read.value, 'C'), true)
      assert.equal(await map.get('acct'), 'C')
    })

    test('versions: racing getVersioned / setIfVersion increments end at the exact total', async () => {
      const map = open()
      const tasks = 8
      const each = 15
      let conflicts = 0
      await Promise.all(
        Array.from({ length: tasks }, async () => {
          for (let i = 0; i < each; i++) {
            for (;;) {
              const seen = await map.getVersioned('n')
              await new Promise(setImmediate)
              if (await map.setIfVersion('n', ((seen?.value as number | undefined) ?? 0) + 1, seen?.version ?? ABSENT_VERSION)) break
              conflicts++
            }
          }
        }),
      )
      assert.equal(await map.get('n'), tasks * each)
      assert.ok(conflicts > 0, 'the tasks raced')
    })

    test('versions and ttl: an expired key has no version, and inserting it again takes a later one', async () => {
      const map = open()
      await map.set('t', 1, { ttl: 300 })
      const before = await map.getVersioned('t')
      assert.ok(before !== undefined)
      await sleep(450)
      assert.equal(await map.getVersioned('t'), undefined)
      assert.equal(await map.deleteIfVersion('t', before.version), false)
      assert.equal(await map.setIfVersion('t', 2, before.version), false)
      assert.equal(await map.setIfVersion('t', 2, ABSENT_VERSION, { ttl: 60_000 }), true)
      const after = await map.getVersioned('t')
      assert.ok(after !== undefined && after.version > before.version)
      assert.ok(((await map.ttlOf('t')) ?? 0) > 30_000)
    })

    test('getOrCompute and getOrComputeAsync: one computation per absent key, failures not kept, undefined not stored', async () => {
      const map = open()
      let runs = 0
      const values = await Promise.all(
        Array.from({ length: 8 }, () =>
          map.getOrComputeAsync('k', async () => {
            runs++
            await sleep(20)
            return 'computed'
          }),
        ),
      )
      assert.equal(runs, 1)
      assert.deepEqual(new Set(values), new Set(['computed']))
      assert.equal(await map.get('k'), 'computed')
      await assert.rejects(map.getOrComputeAsync('bad', async () => Promise.reject(new Error('boom'))), /boom/)
      assert.equal(await map.getOrComputeAsync('bad', async () => 'second'), 'second')
      assert.equal(await map.getOrComputeAsync('nothing', async () => undefined), undefined)
      assert.equal(await map.has('nothing'), false)
      assert.equal(await map.getOrCompute('sync', (key) => `${String(key)}!`), 'sync!')
      assert.equal(await map.getOrCompute('sync', () => 'other'), 'sync!')
    })

    test('ttl: an entry lives its ttl, then is absent everywhere; ttlOf counts down', async () => {
      const map = open()
      // Long enough that a loaded machine still reads 'short' before it expires.
      await map.set('short', 1, { ttl: 400 })
      await map.setMany([['batch', 2]], { ttl: 400 })
      await map.set('kept', 3)
      const left = await map.ttlOf('short')
      assert.ok(left !== undefined && left > 0 && left <= 400, String(left))
      assert.equal(await map.ttlOf('kept'), Infinity)
      assert.equal(await map.ttlOf('absent'), undefined)
      await sleep(450)
      assert.equal(await map.get('short'), undefined)
      assert.equal(await map.has('batch'), false)
      assert.deepEqual(await map.snapshot(), new Map([['kept', 3]]))
      const keys: Key[] = []
      for await (const key of map.keys()) keys.push(key)
      assert.deepEqual(keys, ['kept'])
    })

    test('batches: getMany in order, setMany, deleteMany counts; bad input in a batch writes nothing', async () => {
      const map = open()
      await map.setMany([
        ['a', 1],
        ['b', 2],
        [3, 'three'],
      ])
      assert.deepEqual(await map.getMany(['a', 'x', 3, 'b']), [1, undefined, 'three', 2])
      assert.equal(await map.deleteMany(['a', 'x', 3]), 2)
      assert.deepEqual(await map.snapshot(), new Map([['b', 2]]))
      await assert.rejects(
        map.setMany([
          ['c', 1],
          [{} as never, 2],
        ]),
        withCode('ERR_INVALID_KEY'),
      )
      await assert.rejects(map.setMany([['c', 1], ['d', () => 1]]), withCode('ERR_INVALID_VALUE'))
      await assert.rejects(map.deleteMany(['b', null as never]), withCode('ERR_INVALID_KEY'))
      assert.deepEqual(await map.snapshot(), new Map([['b', 2]]))
    })

    test('bad input: a key or value that cannot be stored is refused, the map unchanged', async () => {
      const map = open()
      await map.set('k', 1)
      await assert.rejects(map.set({} as never, 1), withCode('ERR_INVALID_KEY'))
      await assert.rejects(map.get(Symbol('s') as never), withCode('ERR_INVALID_KEY'))
      await assert.rejects(map.set('k', () => 2), withCode('ERR_INVALID_VALUE'))
      await assert.rejects(map.update('k', () => Promise.resolve(2) as never), withCode('ERR_INVALID_VALUE'))
      await assert.rejects(map.set('k', 2, { ttl: -5 }), withCode('ERR_INVALID_ARGUMENT'))
      assert.equal(await map.get('k'), 1)
      assert.equal(await map.size(), 1)
    })

    test('iteration: for await, entries, keys, values, range (stops on false), snapshot', async () => {
      const map = open()
      const expected = new Map<Key, number>(Array.from({ length: 300 }, (_, i) => [i % 3 === 0 ? `k${i}` : i % 3 === 1 ? i : BigInt(i), i]))
      await map.setMany(expected)
      const seen = new Map<Key, number>()
      for await (const [k, v] of map) seen.set(k, v)
      assert.deepEqual(seen, expected)
      const keys: Key[] = []
      for await (const k of map.keys()) keys.push(k)
      assert.equal(new Set(keys).size, expected.size)
      let sum = 0
      for await (const v of map.values()) sum += v
      assert.equal(sum, (299 * 300) / 2)
      let visited = 0
      await map.range(async () => ++visited < 10)
      assert.equal(visited, 10)
      assert.deepEqual(await map.snapshot(), expected)
    })

    test('iteration under concurrent writes: no key twice, every key present throughout seen', async () => {
      const map = open()
      const stable = Array.from({ length: 400 }, (_, i) => `stable${i}`)
      await map.setMany(stable.map((k) => [k, 0]))
      let writing = true
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          await map.set(`churn${i % 200}`, i)
          if (i % 2 === 0) await map.delete(`churn${(i * 7) % 200}`)
          await map.update(stable[i % stable.length] as string, (n) => (n ?? 0) + 1)
          // A SharedMap's calls resolve at once: without a macrotask turn the reader never runs.
          await new Promise(setImmediate)
        }
      })()
      const seen: Key[] = []
      for await (const key of map.keys()) {
        seen.push(key)
        if (seen.length % 50 === 0) await new Promise(setImmediate)
      }
      writing = false
      await writer
      assert.equal(new Set(seen).size, seen.length, 'a key came twice')
      const got = new Set(seen)
      assert.deepEqual(stable.filter((k) => !got.has(k)), [])
    })
  })
}
