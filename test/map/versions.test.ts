// Versions (versions.ts): getVersioned / setIfVersion / deleteIfVersion on every
// strategy and on cache maps; an A → B → A history across worker threads that
// compareAndSwap lets through and setIfVersion does not; versions that rise and never
// repeat under many writers (checked from their recorded observations); versions
// across resizes, epoch wraps and the 2^39 residue wrap; writers killed mid-write.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { ABSENT_VERSION, SharedMap, detectLostUpdates, watch, type Concurrency, type LostUpdateReport, type SharedMapOptions } from '../../src/index.js'
import { H } from '../../src/map/layout.js'
import type { Failpoint } from '../../src/map/failpoints.js'
import { exited, reached, sleep, start, withCode } from '../helpers/workers.js'

const STRATEGIES: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']
const worker = fileURLToPath(new URL('../fixtures/versions-worker.js', import.meta.url))
const KINDS = {
  plain: {},
  ttl: { ttl: Infinity, sweeper: false },
  bounded: { maxEntries: 1000, sweeper: false },
  sieve: { maxEntries: 1000, eviction: 'sieve', sweeper: false },
} as const satisfies Record<string, SharedMapOptions>

function versionOf(map: SharedMap<string, unknown>, key: string): number {
  const seen = map.getVersioned(key)
  assert.ok(seen !== undefined, `${key} is present`)
  return seen.version
}

for (const concurrency of STRATEGIES) {
  for (const [kind, options] of Object.entries(KINDS)) {
    test(`'${concurrency}', ${kind} map: versioned reads and writes`, () => {
      const map = new SharedMap<string, unknown>({ ...options, concurrency, shards: 4 })
      assert.equal(map.getVersioned('a'), undefined)
      assert.equal(map.setIfVersion('a', 1, 7), false, 'no version but ABSENT_VERSION matches an absent key')
      assert.equal(map.has('a'), false)
      assert.equal(map.deleteIfVersion('a', ABSENT_VERSION), false, 'nothing to delete')
      assert.equal(map.setIfVersion('a', 1, ABSENT_VERSION), true, 'insert if absent')
      assert.equal(map.setIfVersion('a', 2, ABSENT_VERSION), false, 'present now')
      const first = map.getVersioned('a')
      assert.deepEqual(first?.value, 1)
      assert.ok(first !== undefined && Number.isSafeInteger(first.version) && first.version > 0)
      assert.equal(versionOf(map, 'a'), first.version, 'reads move no version')
      assert.equal(map.get('a'), 1)
      assert.equal(map.loadOrStore('a', 9).loaded, true)
      assert.equal(versionOf(map, 'a'), first.version, 'a loadOrStore that finds the key writes nothing')

      assert.equal(map.setIfVersion('a', { n: 2 }, first.version), true)
      const second = versionOf(map, 'a')
      assert.ok(second > first.version)
      assert.equal(map.setIfVersion('a', 'stale', first.version), false)
      assert.deepEqual(map.get('a'), { n: 2 }, 'a failed setIfVersion changes nothing')
      assert.equal(map.deleteIfVersion('a', first.version), false)
      assert.equal(map.has('a'), true)

      // Every write moves the version up, whatever it writes.
      let last = second
      const writes: Array<() => unknown> = [
        () => map.set('a', 3),
        () => map.swap('a', 4),
        () => map.compareAndSwap('a', 4, 4),
        () => map.update('a', (v) => v),
      ]
      for (const write of writes) {
        write()
        const now = versionOf(map, 'a')
        assert.ok(now > last, `${String(write)} moved the version (${last} -> ${now})`)
        last = now
      }
      assert.equal(map.deleteIfVersion('a', last), true)
      assert.equal(map.getVersioned('a'), undefined)
      assert.equal(map.setIfVersion('a', 5, ABSENT_VERSION), true)
      assert.ok(versionOf(map, 'a') > last, 'a new insert after a delete gets a version above every earlier one')

      // A stored undefined is a present entry with a version.
      map.set('u', undefined)
      const u = map.getVersioned('u')
      assert.ok(u !== undefined && u.value === undefined && u.version > 0)
      map.checkInvariants()
    })
  }

  test(`'${concurrency}': a bad version is ERR_INVALID_ARGUMENT and leaves the map as it was`, () => {
    const map = new SharedMap<string, number>({ concurrency })
    map.set('a', 1)
    const version = versionOf(map, 'a')
    for (const bad of [1.5, -1, Number.NaN, Infinity, -Infinity, 2 ** 53, '1', null, undefined, 1n, { valueOf: () => version }]) {
      assert.throws(() => map.setIfVersion('a', 2, bad as number), withCode('ERR_INVALID_ARGUMENT'), String(bad))
      assert.throws(() => map.setIfVersion('b', 2, bad as number), withCode('ERR_INVALID_ARGUMENT'), String(bad))
      assert.throws(() => map.deleteIfVersion('a', bad as number), withCode('ERR_INVALID_ARGUMENT'), String(bad))
    }
    assert.throws(() => map.setIfVersion({} as unknown as string, 2, version), withCode('ERR_INVALID_KEY'))
    assert.throws(() => map.getVersioned({} as unknown as string), withCode('ERR_INVALID_KEY'))
    assert.deepEqual([...map.entries()], [['a', 1]])
    assert.equal(versionOf(map, 'a'), version)
    assert.equal(map.setIfVersion('a', 2, version), true, 'the version still holds')
  })
}

test('cache maps: an expired entry is absent to versions; setIfVersion takes a ttl; touch() moves the version', async () => {
  const map = new SharedMap<string, string>({ ttl: Infinity, sweeper: false })
  assert.equal(map.setIfVersion('a', 'short', ABSENT_VERSION, { ttl: 20 }), true)
  const before = versionOf(map, 'a')
  await new Promise((resolve) => setTimeout(resolve, 40))
  assert.equal(map.getVersioned('a'), undefined, 'expired')
  assert.equal(map.setIfVersion('a', 'x', before), false, 'an expired entry has no version to match')
  assert.equal(map.setIfVersion('a', 'long', ABSENT_VERSION), true, 'an expired key takes an insert-if-absent')
  const inserted = versionOf(map, 'a')
  assert.ok(inserted > before)
  assert.equal(map.touch('a'), true)
  assert.ok(versionOf(map, 'a') > inserted, 'touch writes a new record')
  assert.throws(() => new SharedMap<string, string>().setIfVersion('a', 'x', ABSENT_VERSION, { ttl: 5 }), withCode('ERR_INVALID_ARGUMENT'))
})

test("'sieve': a get's reference bit never shows in the version", () => {
  const map = new SharedMap<string, number>({ maxEntries: 100, eviction: 'sieve', sweeper: false })
  map.set('a', 1)
  const version = versionOf(map, 'a')
  for (let i = 0; i < 3; i++) assert.equal(map.get('a'), 1)
  assert.equal(versionOf(map, 'a'), version)
  assert.equal(map.setIfVersion('a', 2, version), true)
})

test('a read cache serves no value that a setIfVersion of another thread replaced', () => {
  const writer = new SharedMap<string, string>({ codec: 'string', shards: 1 })
  const reader = SharedMap.attach<string, string>(writer.handle, { codec: 'string' })
  writer.set('k', 'v1')
  assert.equal(reader.get('k'), 'v1')
  assert.equal(reader.get('k'), 'v1')
  assert.equal(writer.setIfVersion('k', 'v2', versionOf(writer as SharedMap<string, unknown>, 'k')), true)
  assert.equal(reader.get('k'), 'v2')
  assert.equal(reader.getVersioned('k')?.version, writer.getVersioned('k')?.version)
})

for (const concurrency of STRATEGIES) {
  test(`'${concurrency}': an A -> B -> A history across worker threads passes compareAndSwap, never setIfVersion`, async () => {
    const map = new SharedMap<string, string>({ concurrency })
    map.set('k', 'A')
    const rounds = 200
    const turn = new SharedArrayBuffer(4)
    const flipper = start('flipper', { handle: map.handle, turn, rounds }, worker)
    const checker = start('checker', { handle: map.handle, turn, rounds }, worker)
    const [flips, outcome] = await Promise.all([flipper.result, checker.result])
    assert.equal(flips, rounds)
    assert.deepEqual(outcome, { versionWins: 0, casWins: rounds })
    assert.equal(map.get('k'), 'A')
  })
}

type Seen = [key: string, version: number, value: string | null]

/** Cache records (deadline and queue words below each record), with a bound the runs never reach. */
const CACHE = { ttl: Infinity, maxEntries: 1_000_000, sweeper: false } as const
const WRITER_RUNS: ReadonlyArray<[Concurrency, SharedMapOptions]> = [
  ...STRATEGIES.filter((c) => c !== 'none').map((c): [Concurrency, SharedMapOptions] => [c, {}]),
  ['optimistic', CACHE],
  ['sharded', CACHE],
]

for (const [concurrency, options] of WRITER_RUNS) {
  const kind = options === CACHE ? ', cache map' : ''
  test(`'${concurrency}'${kind}: under 4 writers a key's versions rise with its writes and never name two values`, async () => {
    // Tiny tables: the writers' inserts and deletes resize them all along.
    const map = new SharedMap<string, unknown>({ ...options, concurrency, shards: 2, initialCapacity: 8 })
    const writers = 4
    const ops = 3000
    const ready = new SharedArrayBuffer(4)
    const runs = Array.from({ length: writers }, (_, i) => start('writers', { handle: map.handle, worker: i, keys: 6, ops, ready, writers }, worker))
    const results = (await Promise.all(runs.map((run) => run.result))) as Array<{ seen: Seen[]; increments: number }>
    assert.equal(map.get('n'), writers * ops, 'the setIfVersion retry loop lost no increment')
    assert.equal(results.reduce((sum, r) => sum + r.increments, 0), writers * ops)

    const valueOf = new Map<string, string | null>()
    const versionOfValue = new Map<string, number>()
    let changes = 0
    for (const { seen } of results) {
      const last = new Map<string, [number, string | null]>()
      for (const [key, version, value] of seen) {
        if (version !== ABSENT_VERSION) {
          const named = `${key}@${version}`
          const earlier = valueOf.get(named)
          assert.ok(earlier === undefined || earlier === value, `version ${version} of ${key} named ${String(earlier)} and ${String(value)}`)
          valueOf.set(named, value)
          const other = versionOfValue.get(`${key}=${String(value)}`)
          assert.ok(other === undefined || other === version, `${key}=${String(value)} was read with versions ${other} and ${version}`)
          versionOfValue.set(`${key}=${String(value)}`, version)
        }
        const before = last.get(key)
        if (before !== undefined && version !== ABSENT_VERSION && before[0] !== ABSENT_VERSION) {
          // One thread's reads are in real-time order: its versions of a key never go back.
          assert.ok(version >= before[0], `${key}: version ${version} read after ${before[0]}`)
          if (before[1] !== value) {
            assert.ok(version > before[0], `${key}: a new value with an old version`)
            changes++
          }
        }
        last.set(key, [version, value])
      }
    }
    assert.ok(changes > 100, `the writers saw each other's writes (${changes} changes)`)
    map.checkInvariants()
  })
}

for (const concurrency of STRATEGIES) {
  test(`'${concurrency}': versions survive a map grown from 8 slots and shrunk again`, () => {
    const map = new SharedMap<string, number>({ concurrency, shards: 1, initialCapacity: 8 })
    map.set('a', 1)
    const version = versionOf(map as SharedMap<string, unknown>, 'a')
    let sawResizing = false
    for (let i = 0; i < 5000; i++) {
      map.set(`g${i}`, i)
      if (map.stats().resizing > 0) {
        sawResizing = true
        assert.equal(versionOf(map as SharedMap<string, unknown>, 'a'), version, 'mid-resize')
      }
    }
    for (let i = 0; i < 5000; i++) map.delete(`g${i}`)
    assert.ok(sawResizing && map.stats().resizes > 3, `the table resized (${map.stats().resizes})`)
    assert.equal(versionOf(map as SharedMap<string, unknown>, 'a'), version)
    assert.equal(map.setIfVersion('a', 2, version), true)
    map.checkInvariants()
  })
}

/** Moves the map's clock (layout.ts header words 38-39) to `position`, as that many records would. */
function setClock(map: SharedMap<string, unknown>, position: number): void {
  Atomics.store(new BigInt64Array(map.handle.buffer, 0, (H.GEN_CLOCK >>> 1) + 1), H.GEN_CLOCK >>> 1, BigInt(position))
}

test('versions rise across a wrap of the 31-bit generation and of the 8-bit epoch byte', () => {
  for (const from of [2 ** 31 - 5 * 1024, 256 * 2 ** 31 - 5 * 1024, 2 ** 52]) {
    const map = new SharedMap<string, unknown>({ shards: 1 })
    setClock(map, from)
    let previous = 0
    for (let i = 0; i < 12_000; i++) {
      const seen = map.getVersioned('k')
      assert.equal(map.setIfVersion('k', i, seen?.version ?? ABSENT_VERSION), true)
      const version = versionOf(map, 'k')
      assert.ok(version > previous, `from ${from}: ${version} after ${previous}`)
      assert.ok(version >= from && Number.isSafeInteger(version))
      previous = version
      if (i % 7 === 0) map.set(`other${i % 50}`, i)
    }
    assert.ok(previous > from + 10_000)
    map.checkInvariants()
  }
})

test('a record older than 2^39 positions reads as a later version: the old one fails, the new one holds', () => {
  const map = new SharedMap<string, unknown>({ shards: 1 })
  map.set('old', 1)
  const version = versionOf(map, 'old')
  setClock(map, 2 ** 39 + 2 ** 31)
  // Past the shard's batch: its next records come from the moved clock.
  for (let i = 0; i < 1100; i++) map.set(`new${i % 10}`, i)
  const now = versionOf(map, 'old')
  assert.equal(now, version + 2 ** 39)
  assert.equal(map.setIfVersion('old', 2, version), false, 'a conflict where there was none, never the converse')
  assert.equal(map.setIfVersion('old', 2, now), true)
  assert.ok(versionOf(map, 'old') > now)
})

/** Points of the versioned writes where a kill leaves something to repair. */
const KILL_POINTS: ReadonlyArray<{ point: Failpoint; op: 'set' | 'delete' | 'insert' }> = [
  { point: 'put:record-written', op: 'set' },
  { point: 'put:retired', op: 'set' },
  { point: 'put:replaced', op: 'set' },
  { point: 'put:record-written', op: 'insert' },
  { point: 'put:inserted', op: 'insert' },
  { point: 'remove:retired', op: 'delete' },
  { point: 'remove:tombstoned', op: 'delete' },
]

const KILL_RUNS: ReadonlyArray<[Concurrency, SharedMapOptions]> = [...STRATEGIES.map((c): [Concurrency, SharedMapOptions] => [c, {}]), ['optimistic', CACHE], ['sharded', CACHE]]

for (const [concurrency, options] of KILL_RUNS) {
  const kind = options === CACHE ? ', cache map' : ''
  test(`'${concurrency}'${kind}: a writer killed mid-setIfVersion or mid-deleteIfVersion leaves versions that still rise`, async (t) => {
    for (const { point, op } of KILL_POINTS) {
      await t.test(`${op} killed at ${point}`, async () => {
        const map = new SharedMap<string, unknown>({ ...options, concurrency, shards: 1, initialCapacity: 8 })
        for (let i = 0; i < 20; i++) map.set(`o${i}`, i)
        const key = op === 'insert' ? 'fresh' : 'o3'
        const before = op === 'insert' ? ABSENT_VERSION : versionOf(map, key)
        const gate = new SharedArrayBuffer(4)
        const writer = start('killed', { handle: map.handle, point, gate, key, op, version: before }, worker)
        watch(writer.worker)
        assert.ok(await reached(gate, 20_000), `'${point}' was reached`)
        await writer.worker.terminate()
        await exited(writer.worker)

        const after = map.getVersioned(key)
        if (after === undefined) {
          assert.ok(op === 'delete' || op === 'insert', 'only a delete or an unfinished insert leaves the key absent')
        } else if (after.value === 'new') {
          assert.ok(after.version > before, 'the write took effect with a later version')
        } else {
          assert.ok(after.version >= before, `the key kept its value and its version did not go back (${before} -> ${after.version})`)
          if (after.version > before) assert.equal(map.setIfVersion(key, 'late', before), false, 'the version read before the kill no longer matches')
        }
        const current = after?.version ?? ABSENT_VERSION
        assert.equal(map.setIfVersion(key, 'next', current), true, 'the version read after the kill holds')
        const next = versionOf(map, key)
        assert.ok(next > current && next > before)
        for (let i = 0; i < 20; i++) map.set(`o${i}`, i)
        map.checkInvariants()
      })
    }
  })
}

test('detectLostUpdates: setIfVersion is a fix it names and never reports, and a write that other tasks\' reads see', async () => {
  const reports: LostUpdateReport<string>[] = []
  const map = detectLostUpdates(new SharedMap<string, number>(), { mode: 'count', onLostUpdate: (r) => reports.push(r) })
  map.set('n', 0)
  const versioned = async (pause: number): Promise<boolean> => {
    const seen = map.getVersioned('n')
    await sleep(pause)
    return map.setIfVersion('n', (seen?.value ?? 0) + 1, seen?.version ?? ABSENT_VERSION)
  }
  assert.deepEqual(await Promise.all([versioned(5), versioned(10)]), [true, false], 'the second task sees the conflict')
  assert.equal(map.lostUpdates, 0)
  const racy = async (): Promise<void> => {
    const n = map.get('n') ?? 0
    await sleep(10)
    map.set('n', n + 1)
  }
  await Promise.all([racy(), versioned(5)])
  assert.equal(map.lostUpdates, 1, "the plain set overwrote the other task's setIfVersion")
  assert.match(reports[0]?.fix ?? '', /setIfVersion/)
})
