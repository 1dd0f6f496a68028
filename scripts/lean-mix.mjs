// A lean 90% get / 10% set loop in N workers over one SharedMap, beside the bench's
// own loop (src/bench/loops.ts through its adapter) on the same map, to check that
// `conmap bench` measures the map and not itself (issue 9). Build first.
//
//   node scripts/lean-mix.mjs [--strategy sharded] [--keys 100000] [--window 400] [--warmup 100] [--settle 2000] [--rounds 3] [--loops lean,bench]
//
// --settle N: after --warmup, both loops warm up on until their rate stops rising,
// within N ms (the bench's warm-up, loops.ts warmUp); 0 for a fixed warm-up.
import { isMainThread, Worker, workerData, parentPort } from 'node:worker_threads'

if (isMainThread) await main()
else await work()

async function main() {
  const opts = { strategy: 'sharded', keys: 100_000, window: 400, warmup: 100, settle: 2000, rounds: 3, loops: 'lean,bench', values: 'string' }
  const argv = process.argv.slice(2)
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, '')
    if (name === undefined || !(name in opts)) throw new Error(`unknown option ${argv[i]}`)
    opts[name] = typeof opts[name] === 'number' ? Number(argv[i + 1]) : argv[i + 1]
  }
  const { SharedMap } = await import('../dist/src/index.js')
  const { valuePool, workerKeys } = await import('../dist/src/bench/contenders.js')
  const map = new SharedMap({ concurrency: opts.strategy, initialCapacity: opts.keys })
  const keys = workerKeys(opts.keys)
  const pool = valuePool(opts.values)
  for (let i = 0; i < keys.length; i++) map.set(keys[i], pool[i & 63])
  const calibrate = (workers) => run(workers, { loop: 'arithmetic' })
  console.log(`${opts.strategy}, ${opts.keys} keys, ${opts.values} values, window ${opts.window} ms, warm-up ${opts.warmup} ms${opts.settle > 0 ? `, then until settled (at most ${opts.settle} ms)` : ''}`)
  for (let round = 0; round < opts.rounds; round++) {
    const line = [`round ${round + 1}: machine ${ratio(await calibrate(2), await calibrate(1))}`]
    for (const loop of opts.loops.split(',')) {
      const one = await run(1, { loop })
      const two = await run(2, { loop })
      line.push(`${loop} ${(one / 1e6).toFixed(2)}M -> ${(two / 1e6).toFixed(2)}M (${ratio(two, one)})`)
    }
    console.log(line.join(', '))
  }

  async function run(workers, extra) {
    const gate = new Int32Array(new SharedArrayBuffer(8))
    const data = { ...opts, ...extra, handle: map.handle, gate: gate.buffer }
    const threads = Array.from({ length: workers }, (_, index) => new Worker(new URL(import.meta.url), { workerData: { ...data, index } }))
    const done = threads.map((t) => new Promise((resolve, reject) => (t.once('message', resolve), t.once('error', reject))))
    while (Atomics.load(gate, 1) < workers) await new Promise((r) => setTimeout(r, 2))
    Atomics.store(gate, 0, 1)
    Atomics.notify(gate, 0)
    const results = await Promise.all(done)
    await Promise.all(threads.map((t) => t.terminate()))
    return results.reduce((sum, r) => sum + (r.ops * 1000) / r.ms, 0)
  }
}

function ratio(a, b) {
  return `${(a / b).toFixed(2)}x`
}

async function work() {
  const { loop, handle, gate, index, window, warmup, settle, keys: count, values } = workerData
  const gateView = new Int32Array(gate)
  const waitAtGate = () => {
    Atomics.add(gateView, 1, 1)
    Atomics.wait(gateView, 0, 0)
  }
  let body
  if (loop === 'arithmetic') {
    const { arithmeticUntil } = await import('../dist/src/bench/loops.js')
    body = (deadline) => arithmeticUntil(deadline)
  } else if (loop === 'lean') {
    const { SharedMap } = await import('../dist/src/index.js')
    const { valuePool, workerKeys } = await import('../dist/src/bench/contenders.js')
    const map = SharedMap.attach(handle)
    const keys = workerKeys(count)
    const pool = valuePool(values)
    let x = (Math.imul(index + 1, 0x9e3779b1) | 0) || 1
    body = (deadline) => {
      let ops = 0
      let misses = 0
      while (performance.now() < deadline) {
        for (let i = 0; i < 1024; i++) {
          x ^= x << 13
          x ^= x >>> 17
          x ^= x << 5
          const key = keys[(x >>> 0) % count]
          if ((x & 1023) < 922) misses += map.get(key) === undefined ? 1 : 0
          else map.set(key, pool[(x >>> 10) & 63])
        }
        ops += 1024
      }
      if (misses > 0) throw new Error(`${misses} misses`)
      return ops
    }
  } else {
    const { openAdapter } = await import('../dist/src/bench/adapters.js')
    const { newLoopState, runUntil } = await import('../dist/src/bench/loops.js')
    const { valuePool, workerKeys } = await import('../dist/src/bench/contenders.js')
    const { keySequence } = await import('../dist/src/bench/keys.js')
    const adapter = await openAdapter({ kind: 'shared', concurrency: workerData.strategy, handle }, values)
    const order = keySequence('uniform', count, 1 << 20, index)
    const input = { keys: workerKeys(count), order, pool: valuePool(values), workload: { kind: 'mix', readShare: 0.9 }, index, workers: 1 }
    const state = newLoopState(index)
    body = (deadline) => {
      const before = state.ops
      runUntil(adapter, input, state, deadline)
      return state.ops - before
    }
  }
  const began = performance.now()
  body(began + warmup)
  if (loop !== 'arithmetic' && settle > 0) settleDown(body, began + settle)
  waitAtGate()
  const start = performance.now()
  const ops = body(start + window)
  parentPort.postMessage({ ops, ms: performance.now() - start })
}

/** The bench's settling rule (loops.ts warmUp), for any loop body. */
function settleDown(body, deadline) {
  let best = 0
  let sinceBest = 0
  while (performance.now() < deadline && sinceBest < 4) {
    const began = performance.now()
    const rate = body(began + 25) / (performance.now() - began)
    if (rate > best * 1.05) {
      best = rate
      sinceBest = 0
    } else sinceBest++
  }
}
