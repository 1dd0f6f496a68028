/**
 * SharedMap against a plain Map, measured side by side in one process:
 *  - one thread: get / set / delete with short string keys and values, and with
 *    small object values, alternating Map and SharedMap rounds so that machine
 *    drift hits both; the median round counts.
 *  - workers: a 90/10 get/set mix (and 100% reads) from 1 and 2 worker threads
 *    against one 'optimistic' SharedMap, against the same mix on a plain Map in one
 *    worker (the one-thread reference).
 * Ratios are what this reports; absolute times on a shared 2-core machine are noise.
 * Thread scaling is reported next to the machine's own: the same arithmetic loop in
 * 1 and 2 workers (calibrate-worker.ts), measured in the same run.
 */
import { Worker } from 'node:worker_threads'
import { SharedMap, type Concurrency } from '../src/index.js'

export interface MapBenchOptions {
  readonly quick: boolean
}

export interface SingleThreadRow {
  readonly op: string
  readonly values: 'string' | 'object'
  readonly mapNs: number
  readonly sharedNs: number
  readonly ratio: number
}

export interface ThroughputRow {
  readonly label: string
  readonly workers: number
  readonly readShare: number
  readonly opsPerSec: number
}

export interface MapBenchResult {
  /** Throughput of 2 arithmetic workers over 1: the most any 2-thread scaling here can show. */
  readonly machineScaling: number
  readonly singleThread: readonly SingleThreadRow[]
  readonly throughput: readonly ThroughputRow[]
  readonly targets: readonly { readonly name: string; readonly target: string; readonly reached: string; readonly met: boolean }[]
}

const WORKER = new URL('./map-worker.js', import.meta.url)
const CALIBRATE = new URL('./calibrate-worker.js', import.meta.url)

export async function runMapBench(options: MapBenchOptions): Promise<MapBenchResult> {
  const keys = options.quick ? 20_000 : 100_000
  const rounds = options.quick ? 5 : 9
  const singleThread = [...singleThreadRows(keys, rounds, 'string'), ...singleThreadRows(keys, rounds, 'object')]
  const durationMs = options.quick ? 700 : 2000
  const throughput: ThroughputRow[] = []
  const machineScaling = (await runGated(CALIBRATE, 2, { durationMs })) / (await runGated(CALIBRATE, 1, { durationMs }))
  const reference = await measureWorkers(undefined, 1, 0.9, keys, durationMs)
  throughput.push({ label: 'Map, one thread (reference)', workers: 1, readShare: 0.9, opsPerSec: reference })
  for (const workers of [1, 2]) {
    for (const readShare of [0.9, 1]) {
      const map = preload('optimistic', keys)
      throughput.push({ label: `SharedMap 'optimistic'`, workers, readShare, opsPerSec: await measureWorkers(map, workers, readShare, keys, durationMs) })
    }
  }
  const find = (workers: number, readShare: number) => throughput.find((t) => t.label.startsWith('SharedMap') && t.workers === workers && t.readShare === readShare)?.opsPerSec ?? 0
  const ratioOf = (op: string) => singleThread.find((r) => r.op === op && r.values === 'string')?.ratio ?? Infinity
  const twoWorkerMix = find(2, 0.9) / reference
  const readScaling = find(2, 1) / find(1, 1)
  return {
    machineScaling,
    singleThread,
    throughput,
    targets: [
      { name: 'get vs Map.get, one thread', target: '<= 3x', reached: `${ratioOf('get').toFixed(2)}x`, met: ratioOf('get') <= 3 },
      { name: 'set vs Map.set, one thread', target: '<= 4x', reached: `${ratioOf('set').toFixed(2)}x`, met: ratioOf('set') <= 4 },
      { name: '2 workers 90/10 vs one-thread Map', target: '>= 1.6x', reached: `${twoWorkerMix.toFixed(2)}x`, met: twoWorkerMix >= 1.6 },
      {
        name: '2 workers vs 1 worker, reads',
        target: '>= 1.85x',
        reached: `${readScaling.toFixed(2)}x (machine: ${machineScaling.toFixed(2)}x)`,
        met: readScaling >= 1.85,
      },
    ],
  }
}

function preload(concurrency: Concurrency, keys: number): SharedMap<string, string> {
  const map = new SharedMap<string, string>({ concurrency, initialCapacity: keys })
  for (let i = 0; i < keys; i++) map.set(`key:${i}`, 'value:0')
  return map
}

function singleThreadRows(count: number, rounds: number, values: 'string' | 'object'): SingleThreadRow[] {
  const keys = Array.from({ length: count }, (_, i) => `user:${i}`)
  const value = (i: number) => (values === 'string' ? `v${i}` : { id: i, name: `user ${i}`, active: true })
  const ops = ['set', 'get', 'delete'] as const
  const samples = { map: new Map<string, number[]>(), shared: new Map<string, number[]>() }
  for (let round = 0; round < rounds; round++) {
    for (const kind of ['map', 'shared'] as const) {
      const target: { set(k: string, v: unknown): unknown; get(k: string): unknown; delete(k: string): boolean } =
        kind === 'map' ? new Map<string, unknown>() : new SharedMap<string, unknown>({ initialCapacity: count })
      for (const op of ops) {
        const began = performance.now()
        let sink = 0
        if (op === 'set') for (let i = 0; i < count; i++) target.set(keys[i] as string, value(i))
        else if (op === 'get') for (let i = 0; i < count; i++) sink += target.get(keys[i] as string) === undefined ? 0 : 1
        else for (let i = 0; i < count; i++) sink += target.delete(keys[i] as string) ? 1 : 0
        const ns = ((performance.now() - began) * 1e6) / count
        if (op !== 'set' && sink !== count) throw new Error(`benchmark ${kind} ${op} saw ${sink} of ${count} keys`)
        const list = samples[kind].get(op) ?? []
        list.push(ns)
        samples[kind].set(op, list)
      }
    }
  }
  return ops.map((op) => {
    const mapNs = median(samples.map.get(op) ?? [])
    const sharedNs = median(samples.shared.get(op) ?? [])
    return { op, values, mapNs, sharedNs, ratio: sharedNs / mapNs }
  })
}

async function measureWorkers(map: SharedMap<string, string> | undefined, workers: number, readShare: number, keys: number, durationMs: number): Promise<number> {
  return (await runGated(WORKER, workers, { handle: map?.handle, keys, readShare, durationMs })) / (durationMs / 1000)
}

/** Starts `count` workers, releases them together, and sums the ops they report. */
async function runGated(file: URL, count: number, data: Record<string, unknown>): Promise<number> {
  const gate = new SharedArrayBuffer(8)
  const gateView = new Int32Array(gate)
  const results = Array.from(
    { length: count },
    (_, i) =>
      new Promise<{ ops: number }>((resolve, reject) => {
        const worker = new Worker(file, { workerData: { ...data, gate, seed: i + 1 } })
        worker.once('message', resolve)
        worker.once('error', reject)
      }),
  )
  while (Atomics.load(gateView, 1) < count) await new Promise((resolve) => setTimeout(resolve, 5))
  Atomics.store(gateView, 0, 1)
  Atomics.notify(gateView, 0)
  const done = await Promise.all(results)
  return done.reduce((sum, r) => sum + r.ops, 0)
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? NaN
}
