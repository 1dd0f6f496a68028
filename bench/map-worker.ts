/**
 * Benchmark worker: runs a get/set mix against a SharedMap (or, as the baseline,
 * against a plain Map of its own) for a fixed time and reports the operations done.
 * Workers start together on a shared gate so their measured windows overlap.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SharedMap, type SharedMapHandle } from '../src/index.js'

interface Work {
  readonly handle?: SharedMapHandle
  readonly keys: number
  readonly readShare: number
  readonly durationMs: number
  readonly gate: SharedArrayBuffer
  readonly seed: number
}

const work = workerData as Work
const gate = new Int32Array(work.gate)
const keys = Array.from({ length: work.keys }, (_, i) => `key:${i}`)
const map: { get(k: string): unknown; set(k: string, v: string): unknown } =
  work.handle === undefined ? new Map<string, string>(keys.map((k) => [k, 'value:0'])) : SharedMap.attach<string, string>(work.handle)

let x = work.seed | 0 || 1
Atomics.add(gate, 1, 1)
Atomics.wait(gate, 0, 0)
const deadline = performance.now() + work.durationMs
let ops = 0
let sink = 0
while (performance.now() < deadline) {
  for (let i = 0; i < 256; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const key = keys[(x >>> 0) % keys.length] as string
    if (((x >>> 8) & 1023) < work.readShare * 1024) sink += (map.get(key) as string).length
    else map.set(key, `value:${ops}`)
  }
  ops += 256
}
parentPort?.postMessage({ ops, sink })
