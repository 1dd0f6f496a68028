// How well map.hotKeys(k) finds the true top k of a Zipf workload run by real worker
// threads: recall (true top-k keys reported, of k; with k reported, precision is the
// same figure), the true top-k keys found among 2k reported, and the median and worst
// relative error of the reported counts of true top-k keys. Every worker draws its own
// seeded Zipf stream over the same keys (src/bench/keys.ts, hot keys shared by all).
//
//   npm run build && node scripts/hot-keys-accuracy.mjs [--workers 4] [--calls 50000] [--keys 10000] [--k 10]
//     [--exponents 0.8,0.99,1.2] [--samples 1,8,32] [--widths 32,64]   (widths: metrics.hotKeys)
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads'
import { numberOption, option } from './options.mjs'

const { SharedMap } = await import(new URL('../dist/src/index.js', import.meta.url).href)
const { xorshift, zipfSequence } = await import(new URL('../dist/src/bench/keys.js', import.meta.url).href)

if (!isMainThread) {
  const { handle, keys, calls, exponent, seed } = workerData
  const map = SharedMap.attach(handle)
  const counts = new Map()
  for (const index of zipfSequence(keys.length, calls, exponent, xorshift(seed))) {
    const key = keys[index]
    map.get(key)
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  parentPort.postMessage([...counts])
} else {
  const WORKERS = numberOption('--workers', 4)
  const CALLS = numberOption('--calls', 50_000)
  const KEYS = numberOption('--keys', 10_000)
  const K = numberOption('--k', 10)
  const list = (name, fallback) => {
    const value = option(name, undefined)
    return value === undefined ? fallback : value.split(',').map(Number)
  }
  const keys = Array.from({ length: KEYS }, (_, i) => `item:${i}`)
  const rows = []
  for (const exponent of list('--exponents', [0.8, 0.99, 1.2])) {
    for (const sample of list('--samples', [1, 8, 32])) {
      for (const hotKeys of list('--widths', [32, 64])) {
        const map = new SharedMap({ metrics: { sample, hotKeys } })
        for (const key of keys) map.set(key, 0)
        const results = await Promise.all(
          Array.from({ length: WORKERS }, (_, w) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: { handle: map.handle, keys, calls: CALLS, exponent, seed: 1000 * w + 7 } })
            return new Promise((resolve, reject) => {
              worker.once('message', resolve)
              worker.once('error', reject)
            })
          }),
        )
        const truth = new Map()
        for (const counts of results) for (const [key, count] of counts) truth.set(key, (truth.get(key) ?? 0) + count)
        const trueTop = [...truth].sort((a, b) => b[1] - a[1]).slice(0, K).map(([key]) => key)
        const reported = map.hotKeys(2 * K)
        const topK = new Set(reported.slice(0, K).map((h) => h.key))
        const top2K = new Set(reported.map((h) => h.key))
        const errors = reported
          .filter((h) => trueTop.includes(h.key))
          .map((h) => Math.abs(h.count - (truth.get(h.key) ?? 0)) / (truth.get(h.key) ?? 1))
          .sort((a, b) => a - b)
        rows.push({
          exponent,
          sample,
          hotKeys,
          [`recall@${K}`]: trueTop.filter((key) => topK.has(key)).length / K,
          [`top${K} in ${2 * K}`]: trueTop.filter((key) => top2K.has(key)).length / K,
          'median rel. error': Number((errors[Math.floor(errors.length / 2)] ?? NaN).toFixed(3)),
          'worst rel. error': Number((errors.at(-1) ?? NaN).toFixed(3)),
        })
      }
    }
  }
  console.log(`hotKeys accuracy: ${WORKERS} workers x ${CALLS} gets, Zipf over ${KEYS} keys, node ${process.version}`)
  console.table(rows)
}
