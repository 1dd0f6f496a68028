// Hash flooding: 2^17 keys that all collide under an unseeded hash (Java's String.hashCode, where
// "Aa" and "BB" hash alike, so any string of 17 such blocks has one hash) must cost a SharedMap no
// more than as many random keys do. The evidence is structural, not timed: probe lengths, shard
// balance, and every key found again. And two maps hash the same keys differently (per-map seeds).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { SharedMap, type SharedMapStats } from '../../src/index.js'

const BLOCKS = 17
const COUNT = 2 ** BLOCKS

/** Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1], in 32-bit arithmetic, unseeded. */
function javaHash(text: string): number {
  let hash = 0
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0
  return hash
}

/** Key i: bit b of i picks "BB" or "Aa" for block b. */
function floodKeys(): string[] {
  const keys: string[] = []
  for (let i = 0; i < COUNT; i++) {
    let key = ''
    for (let b = 0; b < BLOCKS; b++) key += (i >>> b) & 1 ? 'BB' : 'Aa'
    keys.push(key)
  }
  return keys
}

/** Random keys of the same length (34 characters) and alphabet size as the flood. */
function randomKeys(): string[] {
  const bytes = randomBytes(COUNT * 34)
  const keys = new Set<string>()
  for (let i = 0; keys.size < COUNT; i++) {
    let key = ''
    for (let j = 0; j < 34; j++) key += String.fromCharCode(65 + ((bytes[(i * 34 + j) % bytes.length] ?? 0) % 58))
    keys.add(key)
  }
  return [...keys]
}

interface Loaded {
  readonly stats: SharedMapStats
}

/** Inserts keys (value = index), checks they all read back, returns the map's stats. */
function load(keys: readonly string[]): Loaded {
  const map = new SharedMap<string, number>({ shards: 16, initialCapacity: 0 })
  keys.forEach((key, i) => map.set(key, i))
  const stats = map.stats()
  assert.equal(stats.size, keys.length)
  keys.forEach((key, i) => {
    if (map.get(key) !== i) assert.fail(`key ${i} (${key}) did not read back`)
  })
  assert.equal(map.has(`${keys[0] ?? ''}x`), false)
  return { stats }
}

function assertBalanced(stats: SharedMapStats, what: string): void {
  const mean = stats.size / stats.shards
  const sizes = stats.perShard.map((s) => s.size)
  const largest = Math.max(...sizes)
  assert.ok(largest <= 2 * mean, `${what}: largest shard holds ${largest} keys, mean ${mean} (${sizes.join(', ')})`)
  assert.ok(Math.min(...sizes) >= mean / 2, `${what}: smallest shard holds ${Math.min(...sizes)} keys, mean ${mean}`)
}

test(`hash flooding: ${COUNT} keys colliding under an unseeded hash cost no more than random keys`, () => {
  const flood = floodKeys()
  // They really are a flood: distinct, and one hash under String.hashCode.
  assert.equal(new Set(flood).size, COUNT)
  const collision = javaHash(flood[0] ?? '')
  for (const key of flood) if (javaHash(key) !== collision) assert.fail(`${key} does not collide under String.hashCode`)
  const random = randomKeys()
  assert.ok(new Set(random.map(javaHash)).size > COUNT * 0.9, 'the random keys should not collide under String.hashCode')

  const flooded = load(flood).stats
  const baseline = load(random).stats
  // Same key count, same shards: the same table sizes, so probe lengths are comparable.
  assert.equal(flooded.capacity, baseline.capacity)
  assert.ok(
    flooded.longestProbe <= 2 * baseline.longestProbe + 16,
    `flooded keys: longest probe ${flooded.longestProbe}, random keys: ${baseline.longestProbe}`,
  )
  // The mean over shards of each shard's longest probe varies much less than the maximum.
  const meanLongest = (stats: SharedMapStats) => stats.perShard.reduce((sum, s) => sum + s.longestProbe, 0) / stats.shards
  assert.ok(
    meanLongest(flooded) <= 1.5 * meanLongest(baseline) + 4,
    `mean longest probe per shard: flooded ${meanLongest(flooded)}, random ${meanLongest(baseline)}`,
  )
  // Bounded in absolute terms too: a flood that an unseeded table would put into one probe run
  // of 131072 slots stays at the length random keys have (tens of slots at most).
  assert.ok(flooded.longestProbe < 128, `longest probe ${flooded.longestProbe}`)
  assertBalanced(flooded, 'flooded keys')
  assertBalanced(baseline, 'random keys')
})

test('two maps hash the same keys differently (a random seed per map)', () => {
  const keys = floodKeys().slice(0, 4096)
  const shardOfEach = (map: SharedMap<string, number>): number[] => {
    // Which shard a key lands in: the shard whose size grows when it is inserted.
    const result: number[] = []
    let sizes = map.stats().perShard.map((s) => s.size)
    for (const key of keys.slice(0, 64)) {
      map.set(key, 0)
      const now = map.stats().perShard.map((s) => s.size)
      result.push(now.findIndex((size, shard) => size !== sizes[shard]))
      sizes = now
    }
    return result
  }
  const a = new SharedMap<string, number>({ shards: 16 })
  const b = new SharedMap<string, number>({ shards: 16 })
  const shardsA = shardOfEach(a)
  const shardsB = shardOfEach(b)
  assert.ok(!shardsA.includes(-1) && !shardsB.includes(-1))
  // With independent seeds, 64 keys land in the same 16 shards in both maps with probability 16^-64.
  assert.notDeepStrictEqual(shardsA, shardsB, 'two maps put 64 keys into the same shards: their hashes do not depend on a per-map seed')
  // Over more keys: the per-shard counts of one key set differ between maps, and the iteration
  // orders (shard by shard, slot by slot) differ as well.
  for (const key of keys) {
    a.set(key, 1)
    b.set(key, 1)
  }
  assert.notDeepStrictEqual(
    a.stats().perShard.map((s) => s.size),
    b.stats().perShard.map((s) => s.size),
  )
  const orderA = [...a.keys()]
  const orderB = [...b.keys()]
  assert.deepStrictEqual(new Set(orderA), new Set(orderB))
  assert.notDeepStrictEqual(orderA, orderB)
  // An attached map shares its creator's seed: the same key finds the same entry.
  const attached = SharedMap.attach<string, number>(a.handle)
  assert.deepStrictEqual([...attached.keys()], orderA)
  for (const key of keys) assert.equal(attached.get(key), 1)
  a.checkInvariants()
  b.checkInvariants()
})
