// How fast a validated read-cache hit can be, side by side in one process with Map.get
// and SharedMap.get: the floor under the 'get within 2x of Map.get' target.
//
//   npm run build && node scripts/read-floor.mjs [--keys 100000] [--rounds 7] [--order uniform|zipf]
//
// A hit that stays linearizable needs, on top of the lookup of its key in a Map:
//   - per-key state (the value and where its validation words are): one more object, so
//     one more random memory access per read, since a Map's slot holds one pointer;
//   - at least one SeqCst load of shared memory (Atomics.load), to see a change another
//     thread finished before this read began. V8 compiles Atomics.load as a call, and in
//     a loop bound by memory latency a call per load also stops the CPU from overlapping
//     one read's misses with the next read's.
// One 64-bit load (BigInt64Array) in place of the seq and era pair was measured too: it
// costs what the two 32-bit loads cost (2026-12-03, Node 20, two runs: 1.79x against 1.82x
// and 2.21x against 2.26x Map.get in the same rounds), so the pair stays.
// The rows build that cost up step by step over the same keys in the same order, each in
// its own copy of the loop (new Function), so every call site sees one receiver. Values
// are 27-char strings; SharedMap is the default 'optimistic' map (codec 'string'), read
// once before the rounds so that every timed read is a read-cache hit.
import { performance } from 'node:perf_hooks'
import { option } from './options.mjs'

const KEYS = Number(option('--keys', 100_000))
const ROUNDS = Number(option('--rounds', 7))
const ORDER = option('--order', 'uniform')
const dist = new URL('../dist/src/', import.meta.url).href
const { SharedMap } = await import(`${dist}index.js`)
const { keySequence, xorshift } = await import(`${dist}bench/keys.js`)

const draw = xorshift(7)
const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}:${(draw() % 36 ** 6).toString(36).padStart(6, '0')}`)
const values = Array.from({ length: KEYS }, (_, i) => `value-${String(i).padStart(8, '0')}-abcdefghijk`)
const orders = Array.from({ length: ROUNDS + 1 }, (_, round) => keySequence(ORDER, KEYS, KEYS, round + 1))

// Two words of a small shared array, as hot as a shard's seq and era words stay while
// nobody writes the shard.
const words = new Int32Array(new SharedArrayBuffer(64 * 64))
const wide = new BigInt64Array(words.buffer)
const entryOf = (i) => ({ value: values[i], seqAt: (i & 63) * 16, stamp: 0n, seq: 0, era: 0, genAt: 0, gen: 0, deadline: 0, decodeEach: false, ref: true, refSeq: -1 })
const plain = new Map(keys.map((key, i) => [key, values[i]]))
const entries = new Map(keys.map((key, i) => [key, entryOf(i)]))
const shared = new SharedMap({ codec: 'string' })
for (let i = 0; i < KEYS; i++) shared.set(keys[i], values[i])
for (let i = 0; i < KEYS; i++) if (shared.get(keys[i]) !== values[i]) throw new Error(`SharedMap lost ${keys[i]}`)

const rows = [
  ['Map.get', plain, 'v = m.get(key)'],
  ['Map.get + its entry object', entries, 'const e = m.get(key); v = e === undefined ? undefined : e.value'],
  ['+ 1 Atomics.load (hot word)', entries, 'const e = m.get(key); v = e === undefined || Atomics.load(words, e.seqAt) !== e.seq ? undefined : e.value'],
  ['+ 2 Atomics.load (seq and era)', entries, 'const e = m.get(key); v = e === undefined || Atomics.load(words, e.seqAt) !== e.seq || Atomics.load(words, e.seqAt + 1) !== e.era ? undefined : e.value'],
  ['+ 1 BigInt64 Atomics.load (both)', entries, 'const e = m.get(key); v = e === undefined || Atomics.load(wide, e.seqAt >> 1) !== e.stamp ? undefined : e.value'],
  ['SharedMap.get (read-cache hit)', shared, 'v = m.get(key)'],
].map(([label, map, read]) => ({
  label,
  map,
  loop: new Function(
    'm',
    'keys',
    'order',
    'values',
    'words',
    'wide',
    `let bad = 0
    let chars = 0
    for (let j = 0; j < order.length; j++) { const i = order[j]; const key = keys[i]; let v; ${read}; if (v === undefined) bad++; else chars += v.length }
    if (bad > 0 || chars !== order.length * values[0].length) throw new Error(bad + ' reads missed')`,
  ),
  ns: [],
}))

for (let round = 0; round <= ROUNDS; round++) {
  const order = orders[round]
  // The order of the rows reverses every round, so a drifting machine moves them alike.
  for (const row of round % 2 === 0 ? rows : [...rows].reverse()) {
    const began = performance.now()
    row.loop(row.map, keys, order, values, words, wide)
    // Round 0 warms every loop up and is not counted.
    if (round > 0) row.ns.push(((performance.now() - began) * 1e6) / order.length)
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
console.log(`node ${process.version}, ${KEYS} keys, ${ORDER} order (${new Set(orders[1]).size} distinct keys per round), median of ${ROUNDS} rounds`)
console.table(rows.map((row) => ({ read: row.label, 'ns/op': median(row.ns).toFixed(0), 'x Map.get': median(row.ns.map((ns, r) => ns / rows[0].ns[r])).toFixed(2) })))
