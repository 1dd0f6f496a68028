/**
 * The demo's worker: hammers one SharedMap (or, for the unprotected baseline, a
 * bare shared counter) until the deadline and reports what it did.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SharedMap, type SharedMapHandle } from '../index.js'

interface DemoWork {
  readonly mode: 'raw' | 'map'
  readonly handle?: SharedMapHandle
  readonly counter?: SharedArrayBuffer
  readonly counters: number
  readonly durationMs: number
  readonly writeShare: number
  readonly seed: number
}

export interface DemoResult {
  readonly ops: number
  readonly increments: number
  readonly error?: string
}

const work = workerData as DemoWork

function run(): DemoResult {
  let x = work.seed | 0 || 1
  const next = () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 0x100000000
  }
  const deadline = performance.now() + work.durationMs
  let ops = 0
  let increments = 0
  if (work.mode === 'raw') {
    // What JavaScript gives you today: a plain read-modify-write on shared memory.
    const cell = new Int32Array(work.counter as SharedArrayBuffer)
    while (performance.now() < deadline) {
      for (let i = 0; i < 1000; i++) {
        const seen = cell[0] ?? 0
        cell[0] = seen + 1
      }
      ops += 1000
      increments += 1000
    }
    return { ops, increments }
  }
  const map = SharedMap.attach<string, number>(work.handle as SharedMapHandle)
  try {
    while (performance.now() < deadline) {
      for (let i = 0; i < 64; i++) {
        const key = `counter:${Math.floor(next() * work.counters)}`
        if (next() < work.writeShare) {
          map.update(key, (n) => (n ?? 0) + 1)
          increments++
        } else {
          map.get(key)
        }
        ops++
      }
    }
    return { ops, increments }
  } catch (err) {
    return { ops, increments, error: (err as { code?: string }).code ?? String(err) }
  }
}

parentPort?.postMessage(run())
