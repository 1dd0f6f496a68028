// Side by side in one process: the per-operation cost of SharedMap in two builds of
// conmap (each a checkout whose dist/ is built), as ratios to a plain Map measured in
// the same rounds. Rounds alternate between the builds, so a machine that slows down
// or speeds up midway moves both alike; the figure is the median over rounds.
//
//   node scripts/compare-builds.mjs <checkout A> <checkout B> [--keys 100000] [--rounds 7] [--order uniform|zipf] [--options-b JSON]
//
// --options-b adds SharedMap options to B's maps only: `. . --options-b '{"metrics":true}'`
// measures what an option costs against the same build without it. --options (JSON)
// adds options to both builds' maps: `<main> . --options '{"metrics":true}'`.
//
// Keys look like 'user:123:2f9k1x' and are precomputed; reads go in a new random order
// each round (uniform, or --order zipf for Zipf(0.99)) drawn by the bench's own seeded
// generator (src/bench/keys.ts), and each read's answer is checked. Values: 27-char strings (codec
// 'string') and small objects { id, gen, name, tags, score } (default 'structured').
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { args, numberOption, option } from './options.mjs'

const dirs = args.filter((arg, i) => !arg.startsWith('--') && !(i > 0 && args[i - 1]?.startsWith('--')))
if (dirs.length !== 2) {
  console.error('usage: node scripts/compare-builds.mjs <checkout A> <checkout B> [--keys N] [--rounds N] [--order uniform|zipf]')
  process.exit(2)
}
const KEYS = numberOption('--keys', 100_000)
const ROUNDS = numberOption('--rounds', 7)
const ORDER = option('--order', 'uniform')
const OPTIONS_B = JSON.parse(option('--options-b', '{}'))
const OPTIONS = JSON.parse(option('--options', '{}'))
const { keySequence, xorshift } = await import(new URL('../dist/src/bench/keys.js', import.meta.url).href)
const builds = await Promise.all(dirs.map(async (dir) => ({ dir, conmap: await import(pathToFileURL(resolve(dir, 'dist/src/index.js')).href) })))

const draw = xorshift(42)
const keys = Array.from({ length: KEYS }, (_, i) => `user:${i}:${(draw() % 36 ** 6).toString(36).padStart(6, '0')}`)
// A fresh random order each round: a read cache filled in one order and read in the
// same order again would walk its own entries sequentially, which no user does.
const orders = Array.from({ length: ROUNDS + 1 }, (_, round) => keySequence(ORDER, KEYS, KEYS, round + 1))
// A generator that cycles early makes a hot set of a few hundred keys and flatters every
// read (an earlier version of this script did: 419 distinct keys of 100,000). N uniform
// draws with replacement from N keys reach 1 - 1/e of them.
const distinct = new Set(orders[1]).size
if (ORDER === 'uniform' && distinct < 0.6 * KEYS) throw new Error(`the uniform order reaches only ${distinct} of ${KEYS} keys`)
let order = orders[0]
const VALUES = {
  string: (i) => `value-${String(i).padStart(8, '0')}-abcdefghijk`,
  object: (i) => ({ id: i, gen: 1, name: `name-${i}`, tags: ['a', 'b'], score: i / 7 }),
}

function nsPerOp(run) {
  const began = process.hrtime.bigint()
  const ops = run()
  return Number(process.hrtime.bigint() - began) / ops
}

// Values are built once: building one per call would time the construction, not the
// map. A timed read checks what it got by looking at the value alone (the last digit of
// a string's index, an object's id), as a user who reads a value uses it: comparing it
// with the stored original would make SharedMap's copy cost a second miss that Map's
// identical object does not. Every key is compared in full once, untimed. Each (map, op) pair gets its own copy of the loop (new Function), so every
// call site sees one receiver: a loop shared by Map and SharedMap would be
// polymorphic and slow Map down as much as SharedMap, hiding the ratio.
const built = { string: Array.from({ length: KEYS }, (_, i) => VALUES.string(i)), object: Array.from({ length: KEYS }, (_, i) => VALUES.object(i)) }
const LOOPS = {
  get: `let bad = 0
    for (let j = 0; j < order.length; j++) { const i = order[j]; const v = map.get(keys[i]); if (kind === 'string' ? v === undefined || v.charCodeAt(13) !== 48 + (i % 10) : v === undefined || v.id !== i) bad++ }
    if (bad > 0) throw new Error(bad + ' wrong reads')
    return order.length`,
  has: `let bad = 0
    for (let j = 0; j < order.length; j++) if (!map.has(keys[order[j]])) bad++
    if (bad > 0) throw new Error(bad + ' wrong has')
    return order.length`,
  set: `for (let j = 0; j < order.length; j++) { const i = order[j]; map.set(keys[i], values[i]) }
    return order.length`,
}
const loopFor = (op) => new Function('map', 'kind', 'keys', 'order', 'values', LOOPS[op])
const rows = []
for (const kind of ['string', 'object']) {
  const plain = new Map()
  for (let i = 0; i < KEYS; i++) plain.set(keys[i], built[kind][i])
  const maps = builds.map(({ conmap }, b) => {
    const map = new conmap.SharedMap({ ...(kind === 'string' ? { codec: 'string' } : {}), ...OPTIONS, ...(b === 1 ? OPTIONS_B : {}) })
    for (let i = 0; i < KEYS; i++) map.set(keys[i], built[kind][i])
    for (let i = 0; i < KEYS; i++) if (JSON.stringify(map.get(keys[i])) !== JSON.stringify(built[kind][i])) throw new Error(`${keys[i]} reads back wrong`)
    return map
  })
  for (const op of Object.keys(LOOPS)) {
    if (kind === 'object' && op === 'has') continue
    const baseLoop = loopFor(op)
    const loops = maps.map(() => loopFor(op))
    const ratios = builds.map(() => [])
    const bases = []
    for (let round = 0; round < ROUNDS + 1; round++) {
      order = orders[round]
      const base = nsPerOp(() => baseLoop(plain, kind, keys, order, built[kind]))
      const costs = maps.map((map, b) => nsPerOp(() => loops[b](map, kind, keys, order, built[kind])))
      // Round 0 warms every path up and is not counted.
      if (round > 0) {
        bases.push(base)
        costs.forEach((cost, b) => ratios[b].push(cost / base))
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
    rows.push({ values: kind, op, 'Map ns': median(bases).toFixed(0), ...Object.fromEntries(builds.map((b, i) => [i === 1 && option('--options-b', undefined) !== undefined ? `${b.dir} ${JSON.stringify(OPTIONS_B)}` : b.dir, `${median(ratios[i]).toFixed(2)}x Map`])) })
  }
}
console.log(`node ${process.version}, ${KEYS} keys, ${ORDER} order (${distinct} distinct keys per round), median of ${ROUNDS} rounds; SharedMap 'optimistic' ns/op over Map ns/op in the same round`)
console.table(rows)
