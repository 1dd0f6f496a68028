// What detectLostUpdates costs, side by side in one process with the bare Map it wraps:
// the figure the README states. Two workloads, each over the same keys in the same order:
//   sync   a loop of `m.set(k, (m.get(k) ?? 0) + 1)`, no await: the detector's cost per call
//          (a Proxy trap, a stack capture, and on the first call of each stretch a fork of
//          its AsyncLocalStorage frame);
//   async  TASKS tasks, each `get`, `await` a resolved promise, `set`, OPS times: what an
//          async service pays, where the awaits are part of the cost on both sides.
// Rounds alternate bare and wrapped, and the medians are reported with their ratio.
//
//   npm run build && node scripts/lost-update-overhead.mjs [--rounds 7] [--ops 200000]
import { performance } from 'node:perf_hooks'
import { numberOption } from './options.mjs'

const ROUNDS = numberOption('--rounds', 7)
const OPS = numberOption('--ops', 200_000)
const KEYS = 1000
const TASKS = 100
const { detectLostUpdates } = await import(new URL('../dist/src/index.js', import.meta.url).href)

const keys = Array.from({ length: KEYS }, (_, i) => `key:${i}`)

function syncLoop(m) {
  for (let i = 0; i < OPS; i++) {
    const k = keys[i % KEYS]
    m.set(k, (m.get(k) ?? 0) + 1)
  }
}

async function asyncTasks(m) {
  const per = OPS / TASKS
  await Promise.all(
    Array.from({ length: TASKS }, async (_, t) => {
      for (let i = 0; i < per; i++) {
        const k = keys[(t * per + i) % KEYS]
        const n = m.get(k) ?? 0
        await null
        m.set(k, n + 1)
      }
    }),
  )
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]

async function timed(run, make) {
  const m = make()
  const began = performance.now()
  await run(m)
  return ((performance.now() - began) * 1e6) / OPS
}

const makers = {
  bare: () => new Map(),
  detected: () => detectLostUpdates(new Map(), { mode: 'count' }),
}
const rows = []
for (const [name, run] of [['sync', syncLoop], ['async', asyncTasks]]) {
  const times = { bare: [], detected: [] }
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const kind of ['bare', 'detected']) {
      const ns = await timed(run, makers[kind])
      if (round > 0) times[kind].push(ns)
    }
  }
  const bare = median(times.bare)
  const detected = median(times.detected)
  rows.push({ workload: name, 'bare ns/op': bare.toFixed(0), 'detected ns/op': detected.toFixed(0), ratio: `${(detected / bare).toFixed(1)}x` })
}
console.log(`node ${process.version}, ${OPS} read-modify-writes per round, median of ${ROUNDS} rounds (an op is one get and one set of a key)`)
console.table(rows)
