// How evenly threads share one hot lock when each has several async tasks that lock
// again as soon as they unlock: SharedKeyedMutex (which steps back after handing the
// stripe to a woken thread) beside Mutex.lockAsync (Drepper's futex mutex, no
// hand-off), in one run, same workers and load. Prints, per lock and round, the
// grants each worker got, the longest run of consecutive grants by one worker, and
// the grants per second of the round (from the start signal to the last worker's answer).
//   npm run build && node scripts/keyed-fairness.mjs [--workers 4] [--tasks 4] [--grants 4000] [--rounds 3]
import { Worker } from 'node:worker_threads'
import { parseArgs } from 'node:util'
import { Mutex, SharedKeyedMutex } from '../dist/src/index.js'

const { values } = parseArgs({ options: { workers: { type: 'string', default: '4' }, tasks: { type: 'string', default: '4' }, grants: { type: 'string', default: '4000' }, rounds: { type: 'string', default: '3' } } })
const workers = Number(values.workers)
const tasks = Number(values.tasks)
const total = Number(values.grants)

const source = `
const { workerData, parentPort } = require('node:worker_threads')
import(workerData.index).then(async ({ Mutex, SharedKeyedMutex }) => {
  const { kind, handle, log, me, tasks, go } = workerData
  const lock = kind === 'mutex' ? Mutex.attach(handle) : SharedKeyedMutex.attach(handle)
  const take = kind === 'mutex' ? async () => { await lock.lockAsync(); return () => lock.unlock() } : async () => { const g = await lock.lock('hot'); return () => g.release() }
  const words = new Int32Array(log)
  const line = new Int32Array(go)
  Atomics.add(line, 0, 1)
  while (Atomics.load(line, 1) === 0) Atomics.wait(line, 1, 0, 5)
  let grants = 0
  await Promise.all(Array.from({ length: tasks }, async () => {
    for (;;) {
      const release = await take()
      const n = Atomics.add(words, 0, 1)
      if (n < words.length - 1) { words[1 + n] = me; grants++ }
      release()
      if (n >= words.length - 1) return
    }
  }))
  parentPort.postMessage(grants)
})`

async function round(kind) {
  const lock = kind === 'mutex' ? new Mutex() : new SharedKeyedMutex()
  const log = new SharedArrayBuffer((1 + total) * 4)
  const go = new SharedArrayBuffer(8)
  const index = new URL('../dist/src/index.js', import.meta.url).href
  const started = Array.from({ length: workers }, (_, me) => new Worker(source, { eval: true, workerData: { index, kind, handle: lock.handle, log, me, tasks, go } }))
  const results = started.map((worker) => new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) }))
  const line = new Int32Array(go)
  while (Atomics.load(line, 0) < workers) await new Promise((resolve) => setTimeout(resolve, 5))
  const began = performance.now()
  Atomics.store(line, 1, 1)
  Atomics.notify(line, 1)
  const grants = await Promise.all(results)
  const ms = performance.now() - began
  await Promise.all(started.map((worker) => worker.terminate()))
  const order = new Int32Array(log, 4)
  let longest = 0
  for (let i = 0, run = 0; i < total; i++) {
    run = i > 0 && order[i] === order[i - 1] ? run + 1 : 1
    longest = Math.max(longest, run)
  }
  const share = Math.min(...grants) / (total / workers)
  return { grants, longest, share, ms }
}

console.log(`${workers} workers x ${tasks} tasks re-locking one hot lock, ${total} grants per round (Node ${process.versions.node})`)
for (let r = 0; r < Number(values.rounds); r++) {
  for (const kind of ['keyed', 'mutex']) {
    const { grants, longest, share, ms } = await round(kind)
    console.log(`${kind === 'keyed' ? 'SharedKeyedMutex' : 'Mutex.lockAsync '}  grants per worker ${grants.join(' / ').padEnd(24)}  smallest share ${(share * 100).toFixed(0).padStart(3)}% of fair  longest run ${String(longest).padStart(4)}  ${Math.round((total / ms) * 1000).toLocaleString('en-US').padStart(7)} grants/s`)
  }
}
